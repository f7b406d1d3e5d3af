/**
 * Exact forward rewrites that make backward graphs cheaper, applied before differentiation.
 *
 * `Relu → MaxPool` becomes `MaxPool → Relu` when the ReLU output feeds only that pool: max pooling commutes
 * with any non-decreasing function, so the values are bit-identical, and the backward pass then applies the
 * ReLU mask to the pooled gradient (a quarter of the elements for 2×2 pools) instead of to the full-size
 * unpooled one. The routed gradient is unchanged: where the pooled maximum is ≤ 0 both orders give 0, and
 * elsewhere the first maximum is the same element in both orders.
 *
 * Also here (issue #3): `fuseConvMaxPoolPlanes` (a first-layer Conv → MaxPool into the pool-plane block of
 * `rules/conv-pool.ts`; equal up to float summation order), `cropConvToPool` (a conv computes only the rows and
 * columns a floor-mode pool reads; bit-identical) and `sinkCropIntoConvPool` (that crop moved up into a fused block).
 *
 * @example
 * rewriteForBackward({ nodes, raw, facts, outputs, taken }); // as buildBackwardGraph calls it, on copied lists
 */
import type { OnnxNode } from '../onnx/graph.js';
import type { ValueFacts } from './shapes.js';
import { CONV_POOL_PLANES, convPoolGeometry, convPoolNode, type ConvPoolMode } from './rules/conv-pool.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;

export interface RewriteInput {
  nodes: OnnxNode[];
  raw: Raw[];
  facts: Map<string, ValueFacts>;
  /** Names that must keep their producers (graph outputs). */
  outputs: Set<string>;
  taken: Set<string>;
}

function copyRaw(raw: Raw, inputs: string[], outputs: string[]): Raw {
  return { ...raw, name: raw.name, opType: raw.opType, domain: raw.domain, attribute: raw.attribute, input: inputs, output: outputs };
}

/** Applies the rewrites in place on copies of the node lists; returns the number of rewrites. */
export function rewriteForBackward(input: RewriteInput): number {
  const { nodes, raw, facts, outputs, taken } = input;
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const name of node.inputs) if (name) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const producer = new Map<string, number>();
  nodes.forEach((node, k) => node.outputs.forEach((name) => name && producer.set(name, k)));
  let count = 0;
  nodes.forEach((pool, k) => {
    if (pool.opType !== 'MaxPool' || pool.domain !== '') return;
    if (pool.outputs.length > 1 && pool.outputs[1] !== '') return;
    const r = pool.inputs[0];
    const j = producer.get(r);
    if (j === undefined) return;
    const relu = nodes[j];
    if (relu.opType !== 'Relu' || relu.domain !== '' || consumers.get(r) !== 1 || outputs.has(r)) return;
    const a = relu.inputs[0];
    const p = pool.outputs[0];
    const pf = facts.get(p);
    if (!pf) return;
    let pooled = `${p}/rampart_prerelu`;
    for (let i = 1; taken.has(pooled); i++) pooled = `${p}/rampart_prerelu_${i}`;
    taken.add(pooled);
    facts.set(pooled, { ...pf });
    const rawPool = raw[k];
    const rawRelu = raw[j];
    nodes[j] = { ...pool, inputs: [a, ...pool.inputs.slice(1)], outputs: [pooled] };
    raw[j] = copyRaw(rawPool, [a, ...pool.inputs.slice(1)], [pooled]);
    nodes[k] = { ...relu, inputs: [pooled], outputs: [p] };
    raw[k] = copyRaw(rawRelu, [pooled], [p]);
    count++;
  });
  return count;
}

/**
 * Fuses a stride-1, unpadded Conv whose only consumer is a tiling p×p MaxPool into one `CONV_POOL_PLANES` node
 * (`rules/conv-pool.ts`). When the conv's input carries no gradient (it depends on none of `gradientSources`: the
 * model input when its gradient is wanted, and every float initializer) — a training graph's first layer — in
 * `mode` (the conv computed in pool-plane layout); otherwise, when `exact`, in `'exact'` mode (plain forward, the
 * gradient routed in plane layout). Only for ≤ 4 input channels, where the conv is bound by memory traffic, not by
 * the p²·K'² / k² more multiply-adds of the plane filters. Returns the number of fused blocks.
 */
export function fuseConvMaxPoolPlanes(input: RewriteInput & { gradientSources: Set<string>; mode: ConvPoolMode; exact?: boolean }): number {
  const { nodes, raw, facts, outputs, taken, gradientSources, mode } = input;
  const carries = new Set(gradientSources);
  for (const node of nodes) if (node.inputs.some((name) => name && carries.has(name))) node.outputs.forEach((name) => name && carries.add(name));
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const name of node.inputs) if (name) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const producer = new Map<string, number>();
  nodes.forEach((node, k) => node.outputs.forEach((name) => name && producer.set(name, k)));
  const ints = (node: OnnxNode, name: string): number[] | undefined => node.attributes.get(name) as number[] | undefined;
  const all = (values: number[] | undefined, value: number) => !values || values.every((v) => v === value);
  const fused: { conv: number; pool: number; node: OnnxNode }[] = [];
  nodes.forEach((pool, k) => {
    if (pool.opType !== 'MaxPool' || pool.domain !== '' || (pool.outputs.length > 1 && pool.outputs[1] !== '')) return;
    const kernel = ints(pool, 'kernel_shape');
    const strides = ints(pool, 'strides');
    if (!kernel || kernel.length !== 2 || kernel[0] !== kernel[1] || !strides || strides[0] !== kernel[0] || strides[1] !== kernel[0]) return;
    const autoPad = (pool.attributes.get('auto_pad') as string | undefined) ?? 'NOTSET';
    if (!['NOTSET', 'VALID'].includes(autoPad) || !all(ints(pool, 'pads'), 0) || !all(ints(pool, 'dilations'), 1)) return;
    if ((pool.attributes.get('ceil_mode') ?? 0) !== 0 || (pool.attributes.get('storage_order') ?? 0) !== 0) return;
    const j = producer.get(pool.inputs[0]);
    if (j === undefined) return;
    const conv = nodes[j];
    if (conv.opType !== 'Conv' || conv.domain !== '' || consumers.get(pool.inputs[0]) !== 1 || outputs.has(pool.inputs[0])) return;
    const [x, w, b] = conv.inputs;
    if (!x || !w) return;
    const blockMode: ConvPoolMode = carries.has(x) ? 'exact' : mode;
    if (blockMode === 'exact' && !input.exact) return;
    const convPad = (conv.attributes.get('auto_pad') as string | undefined) ?? 'NOTSET';
    if (!['NOTSET', 'VALID'].includes(convPad) || !all(ints(conv, 'pads'), 0) || !all(ints(conv, 'strides'), 1) || !all(ints(conv, 'dilations'), 1)) return;
    if (((conv.attributes.get('group') as number | undefined) ?? 1) !== 1) return;
    const xf = facts.get(x);
    const wf = facts.get(w);
    const pf = facts.get(pool.outputs[0]);
    if (!xf || !wf || !pf || xf.kind !== 'float' || xf.dims[1] > 4 || xf.dims[1] !== xf.dims2[1]) return;
    const geometry = convPoolGeometry(xf.dims, wf.dims, kernel[0]);
    if (!geometry || geometry.out[0] !== pf.dims[2] || geometry.out[1] !== pf.dims[3]) return;
    const fresh = (base: string) => {
      let name = base;
      for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
      taken.add(name);
      return name;
    };
    const node = convPoolNode(`${conv.name}/rampart_planes`, b ? [x, w, b] : [x, w], pool.outputs[0], fresh, kernel[0], blockMode);
    fused.push({ conv: j, pool: k, node });
  });
  // Replace the pool by the fused node and drop the conv (highest index first keeps the others valid).
  for (const { pool, node } of fused) {
    nodes[pool] = node;
    raw[pool] = { name: node.name, opType: node.opType, domain: '', input: node.inputs, output: node.outputs, attribute: [] };
  }
  for (const conv of fused.map((f) => f.conv).sort((a, b) => b - a)) {
    nodes.splice(conv, 1);
    raw.splice(conv, 1);
  }
  return fused.length;
}

/**
 * Crops a Conv's input to what a following floor-mode MaxPool reads: when the pool never reaches the conv output's
 * last rows/columns (the reference CNN's 11×11 → 5×5 pool uses 10×10), a Slice of the conv input makes the conv
 * compute only the pooled region. Bit-identical values (the kept outputs read the same inputs in the same order);
 * the conv, its input gradient (ConvTranspose) and weight gradient do ≈ 17% less work there, and the tiling
 * max-pool gradient needs no crop of its own. Conv: 2-D, no end padding; MaxPool: no padding, floor mode, the conv
 * output its only consumer. Returns the number of cropped convs.
 */
export function cropConvToPool(input: RewriteInput & { initializers: Raw[]; opset: number }): number {
  const { nodes, raw, facts, outputs, taken, opset } = input;
  if (opset < 10) return 0;
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const name of node.inputs) if (name) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const producer = new Map<string, number>();
  nodes.forEach((node, k) => node.outputs.forEach((name) => name && producer.set(name, k)));
  const ints = (node: OnnxNode, name: string, fallback: number[]): number[] => (node.attributes.get(name) as number[] | undefined) ?? fallback;
  const constant = (base: string, values: number[]): string => int64Constant(input, base, values);
  const crops: { at: number; slice: OnnxNode }[] = [];
  nodes.forEach((pool) => {
    if (pool.opType !== 'MaxPool' || pool.domain !== '' || (pool.outputs.length > 1 && pool.outputs[1] !== '')) return;
    const autoPad = (pool.attributes.get('auto_pad') as string | undefined) ?? 'NOTSET';
    if (!['NOTSET', 'VALID'].includes(autoPad) || ints(pool, 'pads', [0]).some((p) => p !== 0) || (pool.attributes.get('ceil_mode') ?? 0) !== 0) return;
    const j = producer.get(pool.inputs[0]);
    if (j === undefined) return;
    const conv = nodes[j];
    const y = pool.inputs[0];
    if (conv.opType !== 'Conv' || conv.domain !== '' || consumers.get(y) !== 1 || outputs.has(y)) return;
    const [x] = conv.inputs;
    const xf = facts.get(x);
    const yf = facts.get(y);
    const pf = facts.get(pool.outputs[0]);
    const kernel = ints(pool, 'kernel_shape', []);
    if (!xf || !yf || !pf || xf.dims.length !== 4 || kernel.length !== 2) return;
    const convPad = (conv.attributes.get('auto_pad') as string | undefined) ?? 'NOTSET';
    const convPads = ints(conv, 'pads', [0, 0, 0, 0]);
    if (!['NOTSET', 'VALID'].includes(convPad) || (convPad === 'NOTSET' && (convPads[2] !== 0 || convPads[3] !== 0))) return;
    const begin = convPad === 'VALID' ? [0, 0] : convPads.slice(0, 2);
    const poolStrides = ints(pool, 'strides', [1, 1]);
    const poolDilations = ints(pool, 'dilations', [1, 1]);
    const convStrides = ints(conv, 'strides', [1, 1]);
    const convDilations = ints(conv, 'dilations', [1, 1]);
    const wf = facts.get(conv.inputs[1]);
    if (!wf || wf.dims.length !== 4) return;
    const used = [0, 1].map((a) => (pf.dims[a + 2] - 1) * poolStrides[a] + (kernel[a] - 1) * poolDilations[a] + 1);
    if (used.every((u, a) => u === yf.dims[a + 2])) return;
    const rows = [0, 1].map((a) => (used[a] - 1) * convStrides[a] + (wf.dims[a + 2] - 1) * convDilations[a] + 1 - begin[a]);
    if (rows.some((r, a) => r < 1 || r > xf.dims[a + 2])) return;
    const cropped = fresh(taken, `${x}/rampart_pool_crop`);
    const slice: OnnxNode = {
      name: cropped,
      opType: 'Slice',
      domain: '',
      inputs: [x, constant(`${cropped}/starts`, [0, 0]), constant(`${cropped}/ends`, rows), constant(`${cropped}/axes`, [2, 3])],
      outputs: [cropped],
      attributes: new Map(),
    };
    facts.set(cropped, { ...xf, dims: [...xf.dims.slice(0, 2), ...rows], dims2: [...xf.dims2.slice(0, 2), ...rows] });
    facts.set(y, { ...yf, dims: [...yf.dims.slice(0, 2), ...used], dims2: [...yf.dims2.slice(0, 2), ...used] });
    nodes[j] = { ...conv, inputs: [cropped, ...conv.inputs.slice(1)] };
    raw[j] = copyRaw(raw[j], [cropped, ...conv.inputs.slice(1)], conv.outputs);
    crops.push({ at: j, slice });
  });
  for (const { at, slice } of crops.sort((a, b) => b.at - a.at)) {
    nodes.splice(at, 0, slice);
    raw.splice(at, 0, { name: slice.name, opType: 'Slice', domain: '', input: slice.inputs, output: slice.outputs, attribute: [] });
  }
  return crops.length;
}

/**
 * Moves a `cropConvToPool` Slice up into a fused conv-pool block when only a Relu sits between them (each the
 * other's only consumer): the block then pools only the cropped rows/columns (its plane convs read a slice of the
 * SpaceToDepth planes), the Relu works on the cropped tensor, and the backward pass needs no Pad of the conv's
 * input gradient. Bit-identical values (the dropped rows/columns never reach the loss). Returns the number moved.
 */
export function sinkCropIntoConvPool(input: RewriteInput & { initializers: Raw[] }): number {
  const { nodes, raw, facts, outputs, taken, initializers } = input;
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const name of node.inputs) if (name) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const producer = new Map<string, number>();
  nodes.forEach((node, k) => node.outputs.forEach((name) => name && producer.set(name, k)));
  const removed = new Set<OnnxNode>();
  const before = new Map<OnnxNode, OnnxNode>();
  nodes.forEach((slice) => {
    if (slice.opType !== 'Slice' || !slice.name.includes('/rampart_pool_crop')) return;
    const r = slice.inputs[0];
    const j = producer.get(r);
    if (j === undefined || nodes[j].opType !== 'Relu' || consumers.get(r) !== 1 || outputs.has(r)) return;
    const relu = nodes[j];
    const f = producer.get(relu.inputs[0]);
    if (f === undefined || nodes[f].opType !== CONV_POOL_PLANES || consumers.get(relu.inputs[0]) !== 1 || outputs.has(relu.inputs[0])) return;
    const cropped = facts.get(slice.outputs[0]);
    if (!cropped) return;
    const rows = cropped.dims.slice(2);
    const fused = nodes[f];
    if (fused.attributes.get('exact') === 1) {
      // 'exact' blocks run the plain conv: crop its input instead, to the p·rows + k − 1 rows the kept cells read
      // (still whole SpaceToDepth blocks); the input gradient's cropped border comes back as zeros via Slice's rule.
      const x = fused.inputs[0];
      const xf = facts.get(x);
      const wf = facts.get(fused.inputs[1]);
      const p = fused.attributes.get('pool') as number;
      if (!xf || !wf) return;
      const reach = rows.map((size, a) => p * size + wf.dims[a + 2] - 1);
      if (reach.some((size, a) => size % p !== 0 || size > xf.dims[a + 2])) return;
      const xc = fresh(taken, `${x}/rampart_pool_crop`);
      before.set(fused, {
        name: xc,
        opType: 'Slice',
        domain: '',
        inputs: [x, int64Constant(input, `${xc}/starts`, [0, 0]), int64Constant(input, `${xc}/ends`, reach), int64Constant(input, `${xc}/axes`, [2, 3])],
        outputs: [xc],
        attributes: new Map(),
      });
      facts.set(xc, { ...xf, dims: [...xf.dims.slice(0, 2), ...reach], dims2: [...xf.dims2.slice(0, 2), ...reach] });
      fused.inputs[0] = xc;
    } else {
      fused.attributes.set('crop', rows);
    }
    for (const name of [relu.inputs[0], r]) {
      const old = facts.get(name)!;
      facts.set(name, { ...old, dims: [...old.dims.slice(0, 2), ...rows], dims2: [...old.dims2.slice(0, 2), ...rows] });
    }
    // Consumers of the slice read the (now cropped) Relu output instead.
    for (let q = 0; q < nodes.length; q++) {
      if (!nodes[q].inputs.includes(slice.outputs[0])) continue;
      const inputs = nodes[q].inputs.map((name) => (name === slice.outputs[0] ? r : name));
      nodes[q] = { ...nodes[q], inputs };
      raw[q] = copyRaw(raw[q], inputs, nodes[q].outputs);
    }
    removed.add(slice);
    // The slice's own bound constants go with it.
    for (const name of slice.inputs.slice(1)) {
      const at = initializers.findIndex((t) => t.name === name);
      if (at >= 0) initializers.splice(at, 1);
    }
  });
  const keptNodes: OnnxNode[] = [];
  const keptRaw: Raw[] = [];
  nodes.forEach((node, k) => {
    if (removed.has(node)) return;
    const slice = before.get(node);
    if (slice) {
      keptNodes.push(slice);
      keptRaw.push({ name: slice.name, opType: 'Slice', domain: '', input: slice.inputs, output: slice.outputs, attribute: [] });
    }
    keptNodes.push(node);
    keptRaw.push(raw[k]);
  });
  nodes.splice(0, nodes.length, ...keptNodes);
  raw.splice(0, raw.length, ...keptRaw);
  return removed.size;
}

function fresh(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** A new int64 initializer with its host facts (for Slice bounds). */
function int64Constant(input: { initializers: Raw[]; facts: Map<string, ValueFacts>; taken: Set<string> }, base: string, values: number[]): string {
  const name = fresh(input.taken, base);
  input.initializers.push({ name, dims: [values.length], dataType: 7, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
  input.facts.set(name, { kind: 'int', dims: [values.length], dims2: [values.length], host: values });
  return name;
}
