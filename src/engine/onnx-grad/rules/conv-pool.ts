/**
 * A first-layer Conv → MaxPool block routed in "pool-plane" layout. `rewrite.ts` (`fuseConvMaxPoolPlanes`)
 * replaces the pair by one {@link CONV_POOL_PLANES} node; this file expands it into plain ONNX ops for the forward
 * graph and holds its backward rule. Issue #3 (engine speed); no paper — exact algebra on the conv/pool windows.
 *
 * Layout: with p×p tiling pools over a stride-1 k×k convolution, the conv output cell (p·a + dr, p·b + dc) of pool
 * window (a, b) reads the input at (p·a + dr + i, p·b + dc + j). SpaceToDepth(x, p) lays the input out as p²
 * planes S[(u0·p + v0)·C + c, a', b'] = x[c, p·a' + u0, p·b' + v0], so that cell is one K'×K' convolution of S
 * (K' = ⌈(k + p − 1)/p⌉) with a filter Wc_d [O, p²·C, K', K'] gathered from W (each W entry once per plane d =
 * dr·p + dc, zeros elsewhere): plane d of the output holds cell d of every window.
 *
 * Modes:
 * - `'compare'` (training graphs, the input needs no gradient; the default): forward = SpaceToDepth, p² plane convs,
 *   an element-wise Max as the pool, the conv bias added after the pool (max(y + b) = max(y) + b: rounding is
 *   monotone). The conv output never exists in spatial layout (no MaxPool, no SpaceToDepth of the activation).
 *   Backward: a rest chain routes the pooled gradient to each window's first maximal plane in row-major window
 *   order (PyTorch's rule, as the tiling MaxPool rule): rest₀ = g, routed_d = rest_d · [Y_d = max],
 *   rest_d+1 = rest_d − routed_d, the last plane takes the rest (every routed value is exactly g or 0); the weight
 *   gradient is per-sample GEMMs of the routed planes with S's K'×K' window columns, summed over the batch and
 *   folded back onto W by a constant Gather + a sum over the planes; the bias gradient sums the pooled gradient.
 * - `'argmax'` (the same forward with one p²·O-channel conv and ReduceMax; ArgMax + one-hot routing): the tests'
 *   reference, 6–10% slower.
 * - `'exact'` (the input needs a gradient): the forward stays the plain Conv + MaxPool; the backward splits
 *   SpaceToDepth(conv output) into the planes (bit-identical values), runs the rest chain against the MaxPool
 *   output, and sends each routed plane back by a ConvTranspose with Wc_d, summed and put in place by DepthToSpace.
 *
 * Why two forwards: each plane conv sums its k² products in its own order, so cells that tie exactly in the plain
 * conv (identical input patches, e.g. saturated strokes) can differ by an ulp and the first maximum can move within
 * the window. For weight gradients that changes nothing (tied cells with identical patches contribute identically);
 * for input gradients it moves gradient between pixels (measured with the plane-conv forward: 40 of 6,272 values on
 * a {0, 1} batch), hence `'exact'`. Values equal Conv + MaxPool up to float summation order (≤ 1e-6 relative).
 *
 * @example
 * const g = buildBackwardGraph(bytes, { inputGradient: false, trainable: 'all' }); // fuses the first conv-pool
 */
import { defineBackwardRule, type BackwardContext } from '../registry.js';
import type { GraphEmitter, NodeObject } from '../emitter.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { OnnxAttributeType, OnnxDataType } from '../../onnx/proto.js';

/** Op type of the fused node (never reaches ONNX Runtime: the forward emission expands it). */
export const CONV_POOL_PLANES = 'RampartConvMaxPoolPlanes';

/** Geometry of a fused block, from the conv weights' dims and the pool size. */
export interface ConvPoolGeometry {
  /** Output channels, input channels, kernel height and width. */
  o: number;
  c: number;
  k: [number, number];
  /** Pool size (stride = kernel). */
  p: number;
  /** Plane-conv kernel ⌈(k + p − 1)/p⌉ per axis. */
  planeKernel: [number, number];
  /** Pooled output size. */
  out: [number, number];
}

/** The geometry of a fused node: its pooled output cropped to the node's `crop` rows/columns when set. */
export function fusedGeometry(node: OnnxNode, xDims: number[], wDims: number[]): ConvPoolGeometry {
  const g = convPoolGeometry(xDims, wDims, node.attributes.get('pool') as number)!;
  const crop = node.attributes.get('crop') as number[] | undefined;
  return crop ? { ...g, out: [crop[0], crop[1]] } : g;
}

/** The geometry when the block can run in plane layout, else undefined (x [N, C, H, W], w [O, C, kh, kw]). */
export function convPoolGeometry(xDims: number[], wDims: number[], p: number): ConvPoolGeometry | undefined {
  if (xDims.length !== 4 || wDims.length !== 4 || p < 2) return undefined;
  const [, c, h, w] = xDims;
  const [o, wc, kh, kw] = wDims;
  if (wc !== c || h % p !== 0 || w % p !== 0) return undefined;
  const planeKernel: [number, number] = [Math.ceil((kh + p - 1) / p), Math.ceil((kw + p - 1) / p)];
  const out: [number, number] = [Math.floor((h - kh + 1) / p), Math.floor((w - kw + 1) / p)];
  // The plane conv over the (H/p)×(W/p) planes must produce exactly the pooled grid.
  if (out[0] < 1 || out[1] < 1 || h / p - planeKernel[0] + 1 !== out[0] || w / p - planeKernel[1] + 1 !== out[1]) return undefined;
  return { o, c, k: [kh, kw], p, planeKernel, out };
}

/**
 * Index tables between W [O, C, kh, kw] (flat) and the plane filter Wc [p²·O, p²·C, K'h, K'w] (flat):
 * `forward[j]` is the W index Wc[j] takes (or O·C·kh·kw, a zero slot); `backward[d·|W| + i]` is where plane d
 * placed W[i].
 */
export function planeFilterTables(g: ConvPoolGeometry): { forward: number[]; backward: number[] } {
  const { o: outC, c: inC, k, p, planeKernel: kp } = g;
  const size = outC * inC * k[0] * k[1];
  const forward = new Array<number>(p * p * outC * p * p * inC * kp[0] * kp[1]).fill(size);
  const backward = new Array<number>(p * p * size).fill(0);
  for (let dr = 0; dr < p; dr++) {
    for (let dc = 0; dc < p; dc++) {
      const d = dr * p + dc;
      for (let o = 0; o < outC; o++) {
        for (let c = 0; c < inC; c++) {
          for (let i = 0; i < k[0]; i++) {
            for (let j = 0; j < k[1]; j++) {
              const [u1, u0] = [Math.floor((i + dr) / p), (i + dr) % p];
              const [v1, v0] = [Math.floor((j + dc) / p), (j + dc) % p];
              const planeChannel = (u0 * p + v0) * inC + c;
              const at = (((d * outC + o) * p * p * inC + planeChannel) * kp[0] + u1) * kp[1] + v1;
              const from = ((o * inC + c) * k[0] + i) * k[1] + j;
              forward[at] = from;
              backward[d * size + from] = at;
            }
          }
        }
      }
    }
  }
  return { forward, backward };
}

/** How the fused block finds each window's first maximum in the backward pass. */
export type ConvPoolMode = 'argmax' | 'compare' | 'exact';

/** The fused node's forward intermediates, which the backward rule reads (kept as extra node outputs). */
export interface ConvPoolNames {
  out: string;
  /** SpaceToDepth of the input [N, p²·C, H/p, W/p] (`'exact'`: emitted by the backward rule when W needs a gradient). */
  planesInput: string;
  /** `'argmax'`: the one plane conv [N, p²·O, H', W']; `'compare'`: the p² per-plane convs [N, O, H', W']. */
  planes: string[];
  /** The per-plane filters (one per entry of `planes`). */
  filters: string[];
  /** `'compare'`: the pooled maximum before the bias. */
  max?: string;
  /** `'exact'`: the plain conv output [N, O, H − kh + 1, W − kw + 1]. */
  convOut?: string;
}

export function convPoolMode(node: OnnxNode): ConvPoolMode {
  return node.attributes.get('exact') === 1 ? 'exact' : node.attributes.get('compare') === 1 ? 'compare' : 'argmax';
}

export function convPoolNames(node: OnnxNode): ConvPoolNames {
  const mode = convPoolMode(node);
  if (mode === 'exact') {
    const [out, planesInput, convOut] = node.outputs;
    return { out, planesInput, planes: [], filters: [], convOut };
  }
  const count = mode === 'compare' ? (node.attributes.get('pool') as number) ** 2 : 1;
  const [out, planesInput, ...rest] = node.outputs;
  return { out, planesInput, planes: rest.slice(0, count), filters: rest.slice(count, 2 * count), max: count > 1 ? rest[2 * count] : undefined };
}

/** The fused node (outputs: the pooled output with bias, then the intermediates of {@link ConvPoolNames}). */
export function convPoolNode(name: string, inputs: string[], output: string, fresh: (base: string) => string, p: number, mode: ConvPoolMode): OnnxNode {
  const attributes = new Map<string, number>([
    ['pool', p],
    ['compare', mode === 'compare' ? 1 : 0],
    ['exact', mode === 'exact' ? 1 : 0],
  ]);
  if (mode === 'exact') {
    return { name, opType: CONV_POOL_PLANES, domain: '', inputs, outputs: [output, fresh(`${output}/rampart_plane_input`), fresh(`${output}/rampart_conv`)], attributes };
  }
  const count = mode === 'argmax' ? 1 : p * p;
  const planes = Array.from({ length: count }, (_, d) => fresh(`${output}/rampart_plane_${d}`));
  const filters = Array.from({ length: count }, (_, d) => fresh(`${output}/rampart_plane_filter_${d}`));
  return {
    name,
    opType: CONV_POOL_PLANES,
    domain: '',
    inputs,
    outputs: [output, fresh(`${output}/rampart_plane_input`), ...planes, ...filters, ...(mode === 'compare' ? [fresh(`${output}/rampart_plane_max`)] : [])],
    attributes,
  };
}

/** The per-plane filters Wc_d [O, p²·C, K'h, K'w] gathered from W (constant-folded when W is a constant). */
function planeFilters(e: GraphEmitter, w: string, g: ConvPoolGeometry): string[] {
  const p2 = g.p * g.p;
  const { forward } = planeFilterTables(g);
  const size = forward.length / p2;
  const flat = e.node('Concat', [e.reshape(w, e.int64([-1])), e.floatTensor('plane_zero', [1], [0])], { axis: { int: 0 } });
  return Array.from({ length: p2 }, (_, d) => e.reshape(e.node('Gather', [flat, e.int64(forward.slice(d * size, (d + 1) * size))]), e.int64([g.o, p2 * g.c, ...g.planeKernel])));
}

/** Forward expansion of a fused node into plain ONNX ops (appended to `e.nodes`, then returned and removed). */
export function expandConvPoolPlanes(node: OnnxNode, e: GraphEmitter, xDims: number[], wDims: number[]): NodeObject[] {
  const p = node.attributes.get('pool') as number;
  const g = fusedGeometry(node, xDims, wDims);
  const [x, w, b] = node.inputs;
  const names = convPoolNames(node);
  const start = e.nodes.length;
  if (convPoolMode(node) === 'exact') {
    // The plain Conv and MaxPool (ONNX Runtime's fast forward kernels); only the backward pass differs.
    e.nodes.push({ name: names.convOut!, opType: 'Conv', input: b ? [x, w, b] : [x, w], output: [names.convOut!], attribute: [{ name: 'kernel_shape', type: OnnxAttributeType.INTS, ints: g.k }] });
    const pool = [
      { name: 'kernel_shape', type: OnnxAttributeType.INTS, ints: [p, p] },
      { name: 'strides', type: OnnxAttributeType.INTS, ints: [p, p] },
    ];
    e.nodes.push({ name: names.out, opType: 'MaxPool', input: [names.convOut!], output: [names.out], attribute: pool });
    return e.nodes.splice(start);
  }
  const { forward } = planeFilterTables(g);
  const named = (opType: string, input: string[], output: string, attribute: NodeObject['attribute'] = []) =>
    e.nodes.push({ name: output, opType, input, output: [output], attribute });
  const blocksize = [{ name: 'blocksize', type: OnnxAttributeType.INT, i: p }];
  // A cropped block reads only the planes' first out + K' − 1 rows/columns.
  const reach = [g.out[0] + g.planeKernel[0] - 1, g.out[1] + g.planeKernel[1] - 1];
  if (reach[0] === xDims[2] / p && reach[1] === xDims[3] / p) named('SpaceToDepth', [x], names.planesInput, blocksize);
  else named('Slice', [e.node('SpaceToDepth', [x], { blocksize: { int: p } }), e.int64([0, 0]), e.int64(reach), e.int64([2, 3])], names.planesInput);
  const flat = e.node('Concat', [e.reshape(w, e.int64([-1])), e.floatTensor('plane_zero', [1], [0])], { axis: { int: 0 } });
  const filterShape = (planes: number) => e.int64([planes * g.o, p * p * g.c, ...g.planeKernel]);
  const kernel = [{ name: 'kernel_shape', type: OnnxAttributeType.INTS, ints: g.planeKernel }];
  let pooled: string;
  if (names.planes.length === 1) {
    named('Reshape', [e.node('Gather', [flat, e.int64(forward)]), filterShape(p * p)], names.filters[0]);
    named('Conv', [names.planesInput, names.filters[0]], names.planes[0], kernel);
    pooled = e.reduceMax(e.reshape(names.planes[0], e.int64([-1, p * p, g.o, ...g.out])), [1], false);
  } else {
    // One conv per plane (no Split of a p²·O-channel output needed), the pool as an element-wise Max.
    const size = forward.length / (p * p);
    for (let d = 0; d < p * p; d++) {
      named('Reshape', [e.node('Gather', [flat, e.int64(forward.slice(d * size, (d + 1) * size))]), filterShape(1)], names.filters[d]);
      named('Conv', [names.planesInput, names.filters[d]], names.planes[d], kernel);
    }
    pooled = names.max!;
    named('Max', names.planes, pooled);
  }
  named(b ? 'Add' : 'Identity', b ? [pooled, e.reshape(b, e.int64([1, g.o, 1, 1]))] : [pooled], names.out);
  return e.nodes.splice(start);
}

export const convPoolPlanesRule = defineBackwardRule({
  opType: CONV_POOL_PLANES,
  parameterInputs: [1, 2],
  backward(c: BackwardContext) {
    const g = c.grad(0);
    if (!g) return;
    const e = c.emit;
    const [x, w, b] = [c.input(0), c.input(1), c.input(2)];
    const names = convPoolNames(c.node);
    const p = c.node.attributes.get('pool') as number;
    const geometry = fusedGeometry(c.node, c.facts(x).dims, c.facts(w).dims);
    const { o, planeKernel: kp, out } = geometry;
    const p2 = p * p;
    const cells = out[0] * out[1];
    const mode = convPoolMode(c.node);
    if (c.needsGrad(0) && mode !== 'exact') throw c.unsupported('the fused conv-pool block has no input gradient (internal error: fused although the input needs one)');
    if (b && c.needsGrad(2)) c.addGrad(2, e.reduceSum(g, [0, 2, 3], false));
    if (!c.needsGrad(0) && !c.needsGrad(1)) return;
    // The pooled gradient routed to each window's first maximal cell, per plane-conv output.
    const routed: string[] = [];
    if (mode === 'exact') {
      // The plain conv output's cells in SpaceToDepth plane order (bit-identical values, so ties stay ties), split
      // into the p² planes, and the rest chain below against the MaxPool output.
      const convDims = c.facts(x).dims.slice(2).map((size, i) => size - geometry.k[i] + 1);
      const used = convDims.every((size, i) => size === p * out[i]) ? names.convOut! : e.slice(names.convOut!, [0, 0], [p * out[0], p * out[1]], [2, 3]);
      const planes = e.nodeN('Split', [e.node('SpaceToDepth', [used], { blocksize: { int: p } }), e.int64(new Array<number>(p2).fill(o))], p2, { axis: { int: 1 } });
      let rest = g;
      for (let d = 0; d < p2; d++) {
        if (d === p2 - 1) {
          routed.push(rest);
          break;
        }
        const hit = e.node('Cast', [e.node('Equal', [planes[d], names.out])], { to: { int: OnnxDataType.FLOAT } });
        routed.push(e.mul(hit, rest));
        rest = e.sub(rest, routed[d]);
      }
    } else if (names.planes.length === 1) {
      // ArgMax over the planes (first maximum), one-hot, times the pooled gradient: [N, p²·O, H', W'].
      const length = o * cells;
      const first = e.node('ArgMax', [e.reshape(names.planes[0], e.int64([-1, p2, length]))], { axis: { int: 1 }, keepdims: { int: 1 }, select_last_index: { int: 0 } });
      const hit = e.node('Cast', [e.node('Equal', [first, e.int64(Array.from({ length: p2 }, (_, d) => d), [1, p2, 1])])], { to: { int: OnnxDataType.FLOAT } });
      routed.push(e.reshape(e.mul(hit, e.reshape(g, e.int64([-1, 1, length]))), e.int64([-1, p2 * o, ...out])));
    } else {
      // Plane d takes what no earlier plane took where it equals the max: rest₀ = g, routed_d = rest_d · [Y_d = max],
      // rest_d+1 = rest_d − routed_d, and the last plane takes the rest. Every routed_d is exactly g or 0 (g − g = 0
      // exactly), so each window's first maximal cell gets g and the others 0: [N, O, H', W'] each.
      let rest = g;
      for (let d = 0; d < p2; d++) {
        if (d === p2 - 1) {
          routed.push(rest);
          break;
        }
        const hit = e.node('Cast', [e.node('Equal', [names.planes[d], names.max!])], { to: { int: OnnxDataType.FLOAT } });
        routed.push(e.mul(hit, rest));
        rest = e.sub(rest, routed[d]);
      }
    }
    if (c.needsGrad(0)) {
      // Back through each plane's filter (ConvTranspose onto the SpaceToDepth planes of x), summed; DepthToSpace
      // undoes SpaceToDepth.
      const filters = planeFilters(e, w, geometry);
      const parts = routed.map((r, d) => e.node('ConvTranspose', [r, filters[d]], { kernel_shape: { ints: kp } }));
      c.addGrad(0, e.node('DepthToSpace', [parts.length === 1 ? parts[0] : e.node('Sum', parts)], { blocksize: { int: p }, mode: { string: 'DCR' } }));
    }
    if (!c.needsGrad(1)) return;
    const planesInput = mode === 'exact' ? e.node('SpaceToDepth', [x], { blocksize: { int: p } }) : names.planesInput;
    // Per-sample window columns of the planes input: [N, H'·W', p²·C·K'h·K'w] in Wc's (channel, u1, v1) order.
    const windows: string[] = [];
    for (let u = 0; u < kp[0]; u++) {
      for (let v = 0; v < kp[1]; v++) windows.push(e.unsqueeze(e.slice(planesInput, [u, v], [u + out[0], v + out[1]], [2, 3]), [2]));
    }
    const stacked = windows.length === 1 ? windows[0] : e.node('Concat', windows, { axis: { int: 2 } });
    const columns = e.transpose(e.reshape(stacked, e.int64([-1, p2 * geometry.c * kp[0] * kp[1], cells])), [0, 2, 1]);
    const parts = routed.map((r) => e.reduceSum(e.node('MatMul', [e.reshape(r, e.int64([-1, (p2 * o) / routed.length, cells])), columns]), [0], false));
    const planeFilterGrad = parts.length === 1 ? parts[0] : e.node('Concat', parts, { axis: { int: 0 } }); // [p²·O, p²·C·K'h·K'w]
    const size = o * geometry.c * geometry.k[0] * geometry.k[1];
    const { backward } = planeFilterTables(geometry);
    const perPlane = e.node('Gather', [e.reshape(planeFilterGrad, e.int64([-1])), e.int64(backward, [p2, size])]);
    c.addGrad(1, e.reshape(e.reduceSum(perPlane, [0], false), e.int64(c.facts(w).dims)));
  },
});
