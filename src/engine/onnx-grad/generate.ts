/**
 * The ONNX backward-graph generator: reverse-mode autodiff over the ONNX IR, producing ONE ONNX model that
 * ONNX Runtime runs in a single `session.run`: the forward graph, a loss head, and the backward graph.
 *
 * Inputs of the generated model: the model's own input (model layout, e.g. NCHW), `rampart_onehot` [N, K]
 * (labels, or targets for a targeted step), `rampart_weight` [N] (per-sample gradient weight),
 * `rampart_target_onehot` [N, K] for dlr-targeted, and, when weights
 * are trained, every trainable initializer as an input of its own name (fed each step). Outputs:
 * `rampart_logits` [N, K], `rampart_loss` [N], `rampart_input_grad` (d Σ wᵢLᵢ / dx) and
 * `rampart_param_grad/<name>` per trainable weight.
 *
 * How: static facts (dtypes, shapes with the batch dim identified, constant shape data) come from probing the
 * tfjs import at two batch sizes (`shapes.ts`); a forward sweep marks float values that depend on x or a
 * trained weight; a reverse sweep over the nodes that reach the logits calls one backward rule per op type
 * (`builtin.ts`), summing contributions where a value feeds several nodes. Every op on that path without a rule,
 * and every attribute combination a rule cannot express, is collected and reported together in one
 * {@link BackwardUnsupported}, so callers can fall back to the tfjs path and say why.
 *
 * Forward nodes are copied as they are (attribute types preserved) and the model is re-declared at opset
 * max(original, 17) (backward rules need GreaterOrEqual, MaxUnpool with an output shape, ScatterElements with
 * reduction); the few forward ops whose attributes became inputs since the original opset are rewritten (Clip,
 * Pad, Slice, Squeeze/Unsqueeze, ReduceSum), Dropout becomes Identity, and legacy attributes are dropped.
 *
 * @example
 * const g = buildBackwardGraph(bytes, { loss: 'cross-entropy' });
 * // g.bytes -> ort.InferenceSession.create(g.bytes); run({input, rampart_onehot, rampart_weight})
 */
import { onnxTypes } from '../onnx/proto.js';
import { parseOnnx, type OnnxGraph, type OnnxNode } from '../onnx/graph.js';
import { OnnxAttributes } from '../onnx/registry.js';
import { RampartError } from '../../errors.js';
import type { LossName } from '../losses.js';
import { GraphEmitter, type NodeObject } from './emitter.js';
import { probeShapes, type ProbeResult, type ValueFacts } from './shapes.js';
import { BackwardUnsupported, type BackwardContext, type BackwardRegistry } from './registry.js';
import { builtinBackwardRules } from './builtin.js';
import { emitLossHead } from './loss-heads.js';
import { cropConvToPool, fuseConvMaxPoolPlanes, rewriteForBackward, sinkCropIntoConvPool } from './rewrite.js';
import { CONV_POOL_PLANES, expandConvPoolPlanes, type ConvPoolMode } from './rules/conv-pool.js';

export const backwardNames = {
  oneHot: 'rampart_onehot',
  targetOneHot: 'rampart_target_onehot',
  weight: 'rampart_weight',
  logits: 'rampart_logits',
  loss: 'rampart_loss',
  inputGradient: 'rampart_input_grad',
  parameterGradient: (name: string) => `rampart_param_grad/${name}`,
} as const;

export interface BackwardGraphOptions {
  /** Loss of the head (default cross-entropy). */
  loss?: LossName;
  /** Output the input gradient (default true). */
  inputGradient?: boolean;
  /** Initializers to train (fed as inputs, gradients output): 'none' (default), 'all' weights, or names. */
  trainable?: 'none' | 'all' | readonly string[];
  /** Backward rules (default: the built-in registry). */
  registry?: BackwardRegistry;
  /** Reuse an earlier probe of the same graph. */
  probe?: ProbeResult;
  /** Apply the exact forward rewrites of `rewrite.ts` (default true). */
  rewrite?: boolean;
  /** Fuse a first-layer Conv → MaxPool whose input needs no gradient into the pool-plane form of
   * `rules/conv-pool.ts` (default true; equal up to float summation order). */
  fuseConvPool?: boolean | ConvPoolMode;
  /** Blocks whose input needs a gradient keep the plain Conv + MaxPool forward and route the gradient in plane
   * layout (`'exact'` mode of `rules/conv-pool.ts`; default true; ties routed as the plain form routes them). */
  fuseConvPoolExact?: boolean;
  /** Crop a Conv's input to the rows/columns a following floor-mode MaxPool reads (default true; bit-identical). */
  cropConvToPool?: boolean;
  /** Move such a crop up into a fused conv-pool block when only a Relu sits between them (default true). */
  sinkCropIntoConvPool?: boolean;
}

export interface TrainableParameter {
  name: string;
  dims: number[];
  /** The initializer's values in the source model. */
  initial: Float32Array;
  /** Output name of its gradient. */
  gradient: string;
}

export interface BackwardGraph {
  /** The generated model's bytes. */
  bytes: Uint8Array;
  opset: number;
  /** Name of the model's input. */
  inputName: string;
  /** Dims of one sample in model layout. */
  sampleDims: number[];
  /** Batch size the graph is pinned to, or undefined for any batch. */
  fixedBatch?: number;
  numClasses: number;
  loss: LossName;
  /** True when the graph takes target labels (`rampart_target_onehot`, dlr-targeted). */
  needsTargets: boolean;
  /** Output name of the input gradient, when requested. */
  inputGradient?: string;
  parameters: TrainableParameter[];
  /** Op types on the differentiated path. */
  opTypes: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;

function plainNode(raw: Raw): NodeObject {
  return {
    name: raw.name ?? '',
    opType: raw.opType,
    domain: raw.domain ?? '',
    input: [...(raw.input ?? [])],
    output: [...(raw.output ?? [])],
    attribute: [...(raw.attribute ?? [])],
  };
}

/** Rewrites a forward node written for `opset` into its opset-17 form (attributes that became inputs). */
function normaliseForward(raw: Raw, node: OnnxNode, opset: number, e: GraphEmitter, reasons: string[]): NodeObject {
  const out = plainNode(raw);
  const attrs = new OnnxAttributes(node);
  const drop = (...names: string[]) => {
    out.attribute = out.attribute.filter((a) => !names.includes(a.name as string));
  };
  const where = `node "${node.name}" (${node.opType}, opset ${opset})`;
  switch (node.opType) {
    case 'Dropout':
      return { name: out.name, opType: 'Identity', domain: '', input: [out.input[0]], output: [out.output[0]], attribute: [] };
    case 'Clip':
      if (opset < 11) {
        const min = attrs.float('min', -3.4028234663852886e38);
        const max = attrs.float('max', 3.4028234663852886e38);
        drop('min', 'max');
        out.input = [out.input[0], e.scalar(min), e.scalar(max)];
      }
      break;
    case 'Pad':
      if (opset < 11) {
        const pads = attrs.ints('pads') ?? attrs.ints('paddings') ?? [];
        const value = attrs.float('value', 0);
        drop('pads', 'paddings', 'value');
        out.input = [out.input[0], e.int64(pads), e.scalar(value)];
      }
      break;
    case 'Slice':
      if (opset < 10) {
        const starts = attrs.ints('starts') ?? [];
        const ends = attrs.ints('ends') ?? [];
        const axes = attrs.ints('axes');
        drop('starts', 'ends', 'axes');
        out.input = [out.input[0], e.int64(starts), e.int64(ends), ...(axes ? [e.int64(axes)] : [])];
      }
      break;
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      if (opset < 13) {
        const axes = attrs.ints('axes');
        drop('axes');
        if (axes) out.input = [out.input[0], e.int64(axes)];
      }
      break;
    case 'BatchNormalization':
      if (opset < 9 && attrs.int('spatial', 1) !== 1) reasons.push(`${where}: spatial=0 is not supported`);
      drop('spatial', 'is_test', 'consumed_inputs', 'momentum');
      out.output = [out.output[0]];
      break;
    case 'Gemm':
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      if (opset < 7 && attrs.has('axis')) reasons.push(`${where}: legacy broadcasting with an axis is not supported`);
      drop('broadcast', 'axis');
      break;
    case 'Reshape':
      if (attrs.has('shape')) reasons.push(`${where}: the shape attribute (opset < 5) is not supported`);
      break;
    default:
      break;
  }
  return out;
}

function sampleDimsOf(graph: OnnxGraph): number[] {
  const dims = graph.inputs[0]?.dims;
  if (!dims || dims.length < 1 || !dims.slice(1).every((d): d is number => typeof d === 'number')) {
    throw new BackwardUnsupported(`${graph.source}: the input needs a fixed sample shape for a backward graph.`, [
      'the input declares no fixed sample shape',
    ]);
  }
  return dims.slice(1) as number[];
}

/**
 * Generates the forward + loss + backward ONNX model for a single-input graph.
 * @throws BackwardUnsupported (code MODEL_UNSUPPORTED) listing every reason the graph cannot be differentiated.
 */
export function buildBackwardGraph(source: Uint8Array | { bytes: Uint8Array; graph: OnnxGraph }, options: BackwardGraphOptions = {}): BackwardGraph {
  const bytes = source instanceof Uint8Array ? source : source.bytes;
  const graph = source instanceof Uint8Array ? parseOnnx(bytes, 'ONNX model bytes') : source.graph;
  const registry = options.registry ?? builtinBackwardRules;
  const loss = options.loss ?? 'cross-entropy';
  const wantInput = options.inputGradient ?? true;
  if (graph.inputs.length !== 1) {
    throw new BackwardUnsupported(`${graph.source}: a backward graph needs exactly one model input.`, [`${graph.inputs.length} inputs`]);
  }
  const input = graph.inputs[0];
  const sampleDims = sampleDimsOf(graph);
  const declaredBatch = typeof input.dims?.[0] === 'number' ? (input.dims[0] as number) : undefined;

  // ---- static facts --------------------------------------------------------------------------------
  let probe = options.probe;
  let fixedBatch: number | undefined;
  if (!probe) {
    try {
      probe = probeShapes(graph);
    } catch (first) {
      if (declaredBatch === undefined) {
        throw new BackwardUnsupported(`${graph.source}: cannot trace the graph (${(first as Error).message}).`, [(first as Error).message]);
      }
      try {
        probe = probeShapes(graph, [declaredBatch, declaredBatch]);
        fixedBatch = declaredBatch;
      } catch (second) {
        throw new BackwardUnsupported(`${graph.source}: cannot trace the graph (${(second as Error).message}).`, [(second as Error).message]);
      }
    }
  } else if (probe.batches[0] === probe.batches[1]) {
    fixedBatch = probe.batches[0];
  }
  // A copy: the forward rewrites add and re-shape values, and a probe may be reused for other graphs.
  const facts = new Map(probe.facts);
  const factsOf = (name: string): ValueFacts => {
    const f = facts.get(name);
    if (!f) throw new RampartError('INTERNAL', `buildBackwardGraph: no probed facts for value "${name}".`);
    return f;
  };
  const outputName = graph.outputs[0].name;
  const outFacts = factsOf(outputName);
  if (outFacts.kind !== 'float' || outFacts.dims.length < 1) {
    throw new BackwardUnsupported(`${graph.source}: the first output is not a float tensor.`, ['non-float output']);
  }
  const numClasses = outFacts.dims.slice(1).reduce((a, b) => a * b, 1);
  if (loss === 'dlr' && numClasses < 3) {
    throw new RampartError('BAD_OPTION', `buildBackwardGraph: the DLR loss needs at least 3 classes (this model has ${numClasses}); use cw-margin.`);
  }
  if (loss === 'dlr-targeted' && numClasses < 4) {
    throw new RampartError('BAD_OPTION', `buildBackwardGraph: the targeted DLR loss needs at least 4 classes (this model has ${numClasses}); use cw-margin.`);
  }
  const targeted = loss === 'dlr-targeted';

  // ---- exact forward rewrites (on copies of the node lists) ------------------------------------------------
  const raw: Raw = onnxTypes.ModelProto.decode(bytes);
  const rawGraph = raw.graph;
  const nodes: OnnxNode[] = [...graph.nodes];
  const rawNodes: Raw[] = [...(rawGraph.node as Raw[])];
  const taken = new Set<string>([input.name, ...graph.outputs.map((o) => o.name), ...graph.initializers.keys()]);
  for (const node of nodes) for (const name of [...node.inputs, ...node.outputs]) taken.add(name);
  if (options.rewrite ?? true) {
    rewriteForBackward({ nodes, raw: rawNodes, facts, outputs: new Set(graph.outputs.map((o) => o.name)), taken });
  }
  // Fuse first (a crop can make a fusable block unfusable), crop, then fuse blocks the crop made fusable.
  const fuse = () => {
    if (options.fuseConvPool === false) return;
    const gradientSources = new Set<string>(wantInput ? [input.name] : []);
    for (const [name, tensor] of graph.initializers) if (tensor.data instanceof Float32Array || tensor.data instanceof Float64Array) gradientSources.add(name);
    const mode = options.fuseConvPool === 'argmax' ? 'argmax' : 'compare';
    const exact = options.fuseConvPoolExact ?? true;
    fuseConvMaxPoolPlanes({ nodes, raw: rawNodes, facts, outputs: new Set(graph.outputs.map((o) => o.name)), taken, gradientSources, mode, exact });
  };
  fuse();
  if (options.cropConvToPool ?? true) {
    const cropped = cropConvToPool({ nodes, raw: rawNodes, facts, outputs: new Set(graph.outputs.map((o) => o.name)), taken, initializers: rawGraph.initializer as Raw[], opset: graph.opset });
    if (cropped > 0) fuse();
    if (cropped > 0 && options.fuseConvPool !== false && (options.sinkCropIntoConvPool ?? true)) sinkCropIntoConvPool({ nodes, raw: rawNodes, facts, outputs: new Set(graph.outputs.map((o) => o.name)), taken, initializers: rawGraph.initializer as Raw[] });
  }

  // ---- constants and trainable weights -----------------------------------------------------------------
  const constants = new Map<string, Float32Array>();
  for (const [name, tensor] of graph.initializers) {
    if (tensor.data instanceof Float32Array) constants.set(name, tensor.data);
    else if (tensor.data instanceof Float64Array) constants.set(name, Float32Array.from(tensor.data));
  }
  for (const node of nodes) {
    if (node.opType !== 'Constant') continue;
    const value = node.attributes.get('value');
    if (value && typeof value === 'object' && 'data' in value && (value.data instanceof Float32Array || value.data instanceof Float64Array)) {
      constants.set(node.outputs[0], Float32Array.from(value.data));
    }
  }
  const trainable: string[] = [];
  const requested = options.trainable ?? 'none';
  if (requested === 'all') {
    const seen = new Set<string>();
    for (const node of nodes) {
      const rule = registry.get(node.opType, node.domain);
      for (const i of rule?.parameterInputs ?? []) {
        const name = node.inputs[i];
        const tensor = name ? graph.initializers.get(name) : undefined;
        if (tensor && tensor.data instanceof Float32Array && !seen.has(name)) {
          seen.add(name);
          trainable.push(name);
        }
      }
    }
  } else if (requested !== 'none') {
    for (const name of requested) {
      const tensor = graph.initializers.get(name);
      if (!tensor || !(tensor.data instanceof Float32Array)) {
        throw new RampartError('BAD_OPTION', `buildBackwardGraph: "${name}" is not a float32 initializer of ${graph.source}; pass weight names from the model's initializers.`);
      }
      trainable.push(name);
    }
  }

  // ---- which values carry gradients --------------------------------------------------------------------
  const active = new Set<string>(trainable);
  if (wantInput) active.add(input.name);
  else if (trainable.length === 0) throw new RampartError('BAD_OPTION', 'buildBackwardGraph: nothing to differentiate (no input gradient and no trainable weights).');
  for (const node of nodes) {
    if (!node.inputs.some((name) => name !== '' && active.has(name))) continue;
    for (const name of node.outputs) if (name !== '' && facts.get(name)?.kind === 'float') active.add(name);
  }
  const needed = new Set<string>([outputName]);
  const onPath: OnnxNode[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.outputs.some((name) => needed.has(name) && active.has(name))) continue;
    onPath.push(node);
    for (const name of node.inputs) if (name !== '' && active.has(name)) needed.add(name);
  }
  const missing = new Map<string, string[]>();
  for (const node of onPath) {
    if (!registry.get(node.opType, node.domain)) {
      const key = node.domain ? `${node.domain}:${node.opType}` : node.opType;
      missing.set(key, [...(missing.get(key) ?? []), node.name]);
    }
  }
  if (missing.size > 0) {
    const reasons = [...missing].map(([op, nodes]) => `${op} has no backward rule (node${nodes.length > 1 ? 's' : ''} ${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ', ...' : ''})`);
    throw new BackwardUnsupported(`${graph.source}: no ONNX backward graph: ${reasons.join('; ')}.`, reasons);
  }

  // ---- emit ----------------------------------------------------------------------------------------------
  const opset = Math.max(graph.opset, 17);
  const e = new GraphEmitter(opset, taken);
  const reasons: string[] = [];
  // One group of forward nodes per source node (a fused conv-pool block expands into several).
  const forward: NodeObject[][] = rawNodes.map((rawNode, k) =>
    nodes[k].opType === CONV_POOL_PLANES
      ? expandConvPoolPlanes(nodes[k], e, factsOf(nodes[k].inputs[0]).dims, factsOf(nodes[k].inputs[1]).dims)
      : [normaliseForward(rawNode, nodes[k], graph.opset, e, reasons)],
  );
  const forwardIndex = new Map<OnnxNode, number>(nodes.map((node, k) => [node, k]));

  const outRank = outFacts.dims.length;
  const logits2d = outRank === 2 ? outputName : e.reshape(outputName, e.int64([-1, numClasses]));
  const head = emitLossHead(e, loss, logits2d, backwardNames.oneHot, backwardNames.weight, numClasses, targeted ? backwardNames.targetOneHot : undefined);

  const contributions = new Map<string, string[]>();
  const add = (name: string, grad: string) => contributions.set(name, [...(contributions.get(name) ?? []), grad]);
  const materialised = new Map<string, string>();
  const gradOf = (name: string): string | undefined => {
    const done = materialised.get(name);
    if (done) return done;
    const parts = contributions.get(name);
    if (!parts || parts.length === 0) return undefined;
    const total = parts.length === 1 ? parts[0] : e.node('Sum', parts);
    materialised.set(name, total);
    return total;
  };
  add(outputName, outRank === 2 ? head.logitsGradient : e.reshapeLike(head.logitsGradient, outputName));

  for (const node of onPath) {
    const rule = registry.get(node.opType, node.domain)!;
    if (!node.outputs.some((name) => contributions.has(name))) continue;
    const context: BackwardContext = {
      node,
      attributes: new OnnxAttributes(node),
      opset: graph.opset,
      emit: e,
      input: (i) => node.inputs[i] ?? '',
      output: (i) => node.outputs[i] ?? '',
      grad: (i) => (node.outputs[i] ? gradOf(node.outputs[i]) : undefined),
      needsGrad: (i) => {
        const name = node.inputs[i];
        return !!name && active.has(name) && needed.has(name);
      },
      addGrad: (i, grad) => {
        const name = node.inputs[i];
        if (name && active.has(name) && needed.has(name)) add(name, grad);
      },
      facts: factsOf,
      host: (name) => facts.get(name)?.host,
      constant: (name) => constants.get(name),
      forwardOutput: (i) => {
        const target = forward[forwardIndex.get(node)!][0];
        while (target.output.length <= i) target.output.push('');
        if (!target.output[i]) target.output[i] = e.fresh(`${node.opType}_out${i}`);
        return target.output[i];
      },
      unsupported: (why) =>
        new BackwardUnsupported(`${graph.source}: node "${node.name}" (${node.opType}): ${why}.`, [`${node.opType} "${node.name}": ${why}`]),
    };
    try {
      rule.backward(context);
    } catch (error) {
      if (!(error instanceof BackwardUnsupported)) throw error;
      reasons.push(...error.reasons);
      // Keep walking with placeholder gradients so every reason upstream is reported too.
      node.inputs.forEach((name, i) => context.needsGrad(i) && add(name, e.scalar(0)));
    }
  }
  if (reasons.length > 0) {
    throw new BackwardUnsupported(`${graph.source}: no ONNX backward graph: ${reasons.join('; ')}.`, reasons);
  }

  // ---- outputs ------------------------------------------------------------------------------------------
  const zerosLike = (name: string) => e.node('ConstantOfShape', [e.node('Shape', [name])]);
  const rename = (from: string, to: string) => e.nodes.push({ name: to, opType: 'Identity', input: [from], output: [to], attribute: [] });
  rename(logits2d, backwardNames.logits);
  rename(head.loss, backwardNames.loss);
  if (wantInput) rename(gradOf(input.name) ?? zerosLike(input.name), backwardNames.inputGradient);
  const parameters: TrainableParameter[] = trainable.map((name) => {
    const gradient = backwardNames.parameterGradient(name);
    rename(gradOf(name) ?? zerosLike(name), gradient);
    const tensor = graph.initializers.get(name)!;
    return { name, dims: [...tensor.dims], initial: tensor.data as Float32Array, gradient };
  });

  const rawInput = (rawGraph.input as Raw[]).find((info) => info.name === input.name);
  const batchDim = fixedBatch !== undefined ? { dimValue: fixedBatch } : { dimParam: 'N' };
  const tensorInfo = (name: string, dims: ({ dimValue: number } | { dimParam: string })[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims } } },
  });
  const fixed = (dims: number[]) => dims.map((d) => ({ dimValue: d }));
  const trainableSet = new Set(trainable);
  const model = {
    irVersion: Math.max(Number(raw.irVersion ?? 0), 8),
    producerName: 'rampart onnx-grad',
    opsetImport: [
      { domain: '', version: opset },
      ...((raw.opsetImport ?? []) as Raw[]).filter((o) => o.domain && o.domain !== 'ai.onnx'),
    ],
    graph: {
      name: 'rampart_backward',
      node: [...forward.flat(), ...e.nodes],
      initializer: [...(rawGraph.initializer as Raw[]).filter((t) => !trainableSet.has(t.name)), ...e.initializers],
      input: [
        rawInput && fixedBatch !== undefined ? rawInput : tensorInfo(input.name, [batchDim, ...fixed(sampleDims)]),
        tensorInfo(backwardNames.oneHot, [batchDim, { dimValue: numClasses }]),
        tensorInfo(backwardNames.weight, [batchDim]),
        ...(targeted ? [tensorInfo(backwardNames.targetOneHot, [batchDim, { dimValue: numClasses }])] : []),
        ...parameters.map((p) => tensorInfo(p.name, fixed(p.dims))),
      ],
      output: [
        tensorInfo(backwardNames.logits, [batchDim, { dimValue: numClasses }]),
        tensorInfo(backwardNames.loss, [batchDim]),
        ...(wantInput ? [tensorInfo(backwardNames.inputGradient, [batchDim, ...fixed(sampleDims)])] : []),
        ...parameters.map((p) => tensorInfo(p.gradient, fixed(p.dims))),
      ],
    },
  };
  const encoded = onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish();
  return {
    bytes: encoded,
    opset,
    inputName: input.name,
    sampleDims,
    fixedBatch,
    numClasses,
    loss,
    needsTargets: targeted,
    inputGradient: wantInput ? backwardNames.inputGradient : undefined,
    parameters,
    opTypes: [...new Set(onPath.flatMap((n) => (n.opType === CONV_POOL_PLANES ? ['Conv', 'MaxPool'] : [n.opType])))].sort(),
  };
}

/** Whether a graph gets an ONNX backward graph, and every reason why not (without keeping the result). */
export function backwardSupport(bytes: Uint8Array, options: BackwardGraphOptions = {}): { supported: boolean; reasons: string[] } {
  try {
    buildBackwardGraph(bytes, options);
    return { supported: true, reasons: [] };
  } catch (error) {
    if (error instanceof BackwardUnsupported) return { supported: false, reasons: error.reasons };
    if (error instanceof RampartError) return { supported: false, reasons: [error.message] };
    throw error;
  }
}
