/**
 * Interval bound propagation (Gowal et al. 2018, https://arxiv.org/abs/1810.12715) written as an ONNX graph, so
 * certified training can run on ONNX Runtime: the generated backward graph of this graph (`onnx-grad`) gives the
 * weight gradients of Gowal et al.'s loss CE(−m, y), where m are the IBP lower bounds of the margins zᵧ − zⱼ.
 * It is the same bound as {@link certifiedMarginBounds} with method 'ibp' (tfjs), which stays the reference.
 *
 * The graph's single input `rampart_ibp_box` [N, 2F + K + 1] holds, per sample, the lower corner of the input box
 * (F values, model layout), its upper corner, the label's one-hot row (the caller clips x ± ε to the input
 * bounds), and CROWN-IBP's β (read only by a `crownIbp` graph). Its output `rampart_ibp_worst_logits` [N, K] is −m (0 at the label). Every forward op works on the
 * pair (lower, upper): monotone ops (ReLU, max/average pooling, sigmoid, tanh) and layout ops (Flatten, Reshape,
 * Transpose, ...) are applied to both corners; affine ops with constant weights (Gemm, MatMul, Conv, Add/Sub/Mul/Div
 * by a constant) map centre and radius (c′ = Wc + b, r′ = |W|r). The last Gemm is folded into the margin
 * specification ("elision": m = (Wᵧ − Wⱼ)·h + bᵧ − bⱼ bounded in one step), which is much tighter than bounding
 * the logits first. Weights keep their initializer names, so the backward graph trains the model's own weights.
 *
 * @example
 * const ibp = buildIbpTrainingGraph(exportToOnnx(model));
 * const g = buildBackwardGraph(ibp.bytes, { trainable: ibp.weights, inputGradient: false });
 */
import { onnxTypes, OnnxDataType } from '../engine/onnx/proto.js';
import { parseOnnx, type OnnxGraph, type OnnxNode } from '../engine/onnx/graph.js';
import { OnnxAttributes } from '../engine/onnx/registry.js';
import { GraphEmitter } from '../engine/onnx-grad/emitter.js';
import { RampartError } from '../errors.js';

export const ibpGraphNames = {
  box: 'rampart_ibp_box',
  worstLogits: 'rampart_ibp_worst_logits',
} as const;

export interface IbpTrainingGraph {
  bytes: Uint8Array;
  /** Dims of one sample in model layout (F = their product). */
  sampleDims: number[];
  numClasses: number;
  /** Float initializers the bound depends on (weights, biases, other constant operands), by their source names. */
  weights: string[];
  /** Whether the last Gemm was folded into the margin specification. */
  elided: boolean;
  /** Whether the output mixes in the CROWN-IBP bound (β from the box row). */
  crownIbp: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;

interface Interval {
  lower: string;
  upper: string;
}

/** Ops that are non-decreasing in their first input (or only move values around): applied to both corners. */
const MONOTONE = new Set([
  'Relu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Sigmoid',
  'Tanh',
  'Softplus',
  'Elu',
  'Clip',
  'Flatten',
  'Reshape',
  'Transpose',
  'Identity',
  'Squeeze',
  'Unsqueeze',
]);

function unsupported(graph: OnnxGraph, why: string): RampartError {
  return new RampartError(
    'MODEL_UNSUPPORTED',
    `${graph.source}: interval bound propagation in ONNX Runtime cannot handle ${why}; certified training falls back to the tfjs engine (--engine tfjs).`,
  );
}

export interface IbpGraphOptions {
  /** Fold the last Gemm into the margins (default true). */
  elide?: boolean;
  /**
   * CROWN-IBP (Zhang et al. 2020): also bound the margins by a CROWN backward pass over the Gemm/ReLU chain below
   * the last Gemm (IBP pre-activation bounds, CROWN's adaptive lower slopes), and output −(β·CROWN-IBP + (1−β)·IBP)
   * with β read from the box row. Needs an elided last Gemm and a chain that reaches the input through layout ops
   * only (an MLP); otherwise MODEL_UNSUPPORTED.
   */
  crownIbp?: boolean;
}

/** Values per row of the graph's input: lower corner (F), upper corner (F), one-hot label (K), β (1). */
export function ibpBoxWidth(sampleSize: number, numClasses: number): number {
  return 2 * sampleSize + numClasses + 1;
}

/** Builds the IBP training graph of a single-input, single-output classifier graph. */
export function buildIbpTrainingGraph(bytes: Uint8Array, options: IbpGraphOptions = {}): IbpTrainingGraph {
  const graph = parseOnnx(bytes, 'ONNX model bytes');
  if (graph.inputs.length !== 1 || graph.outputs.length < 1) throw unsupported(graph, 'a graph without exactly one input');
  const input = graph.inputs[0];
  const sampleDims = (input.dims ?? []).slice(1);
  if (sampleDims.length === 0 || !sampleDims.every((d): d is number => typeof d === 'number' && d > 0)) {
    throw unsupported(graph, 'an input without a fixed sample shape');
  }
  const sampleSize = sampleDims.reduce((a, b) => a * b, 1);
  const outputName = graph.outputs[0].name;
  const raw: Raw = onnxTypes.ModelProto.decode(bytes);
  const rawNodes: Raw[] = raw.graph.node;
  const nodes = graph.nodes;
  if (rawNodes.length !== nodes.length) throw unsupported(graph, 'a graph whose node list could not be read');
  // Declared at opset ≥ 13 (the emitter's Slice/Squeeze/ReduceSum forms); older ops whose form changed by 13 are refused.
  const opset = Math.max(13, graph.opset);
  const changedBy13 = nodes.find((n) => graph.opset < 13 && ['Squeeze', 'Unsqueeze', 'ReduceSum', 'Clip', 'Slice', 'Pad', 'Split', 'Dropout'].includes(n.opType));
  if (changedBy13) throw unsupported(graph, `the opset-${graph.opset} form of ${changedBy13.opType} (re-export the model at opset 13 or later)`);
  const taken = new Set<string>([input.name, outputName, ...graph.initializers.keys()]);
  for (const n of nodes) for (const name of [...n.inputs, ...n.outputs]) taken.add(name);
  const e = new GraphEmitter(opset, taken, 'rampart_ibp/');

  const isFloatConstant = (name: string | undefined) => name !== undefined && name !== '' && graph.initializers.get(name)?.data instanceof Float32Array;
  const lastNode = [...nodes].reverse().find((n) => n.outputs.includes(outputName));
  const finalGemm = lastNode?.opType === 'Gemm' && isFloatConstant(lastNode.inputs[1]) ? lastNode : undefined;
  const numClasses = finalGemm
    ? (() => {
        const dims = graph.initializers.get(finalGemm.inputs[1])!.dims;
        return new OnnxAttributes(finalGemm).int('transB', 0) ? dims[0] : dims[1];
      })()
    : Number(graph.outputs[0].dims?.at(-1));
  if (!Number.isInteger(numClasses) || numClasses < 2) throw unsupported(graph, 'an output whose class count is not known');

  // Box input → the two corners in model layout, and the one-hot labels.
  const box = ibpGraphNames.box;
  const shape = e.int64([-1, ...sampleDims]);
  const lower0 = e.reshape(e.slice(box, [0], [sampleSize], [1]), shape);
  const upper0 = e.reshape(e.slice(box, [sampleSize], [2 * sampleSize], [1]), shape);
  const oneHot = e.slice(box, [2 * sampleSize], [2 * sampleSize + numClasses], [1]);
  const intervals = new Map<string, Interval>([[input.name, { lower: lower0, upper: upper0 }]]);
  const weights = new Set<string>();
  const center = (iv: Interval) => e.scale(e.add(iv.lower, iv.upper), 0.5);
  const radius = (iv: Interval) => e.scale(e.sub(iv.upper, iv.lower), 0.5);
  const fromCenter = (c: string, r: string): Interval => ({ lower: e.sub(c, r), upper: e.add(c, r) });
  const constant = (node: OnnxNode, index: number, what: string) => {
    const name = node.inputs[index];
    if (!isFloatConstant(name)) throw unsupported(graph, `${node.opType} node "${node.name}" whose ${what} is not a constant float initializer`);
    weights.add(name);
    return name;
  };
  const attributesOf = (rawNode: Raw) => [...(rawNode.attribute ?? [])];
  const copyWith = (rawNode: Raw, inputs: string[]): string => {
    const out = e.fresh(rawNode.opType);
    e.nodes.push({ name: out, opType: rawNode.opType, domain: rawNode.domain ?? '', input: inputs, output: [out], attribute: attributesOf(rawNode) });
    return out;
  };
  let worst: string | undefined;
  let elided = false;
  const producers = new Map<string, OnnxNode>();
  for (const n of nodes) for (const name of n.outputs) if (name) producers.set(name, n);

  /**
   * CROWN-IBP lower bound of A·v + bias over the Gemm/ReLU chain ending at value v (A [N, K, H]): ReLUs relaxed
   * with their IBP pre-activation bounds (as src/certify/bounds/rules/relu.ts: upper line through (l, 0) and
   * (u, u), lower slope 1 when u > −l else 0), Gemms folded into A and the bias, concretised on the input box.
   */
  const crownLower = (spec: string, specBias: string, from: string): string => {
    let a = spec;
    let bias = specBias;
    let value = from;
    const step = (t: string) => e.node('Cast', [t], { to: { int: OnnxDataType.FLOAT } });
    for (;;) {
      const producer = producers.get(value);
      if (producer?.opType === 'Relu') {
        const pre = intervals.get(producer.inputs[0])!;
        const negativeLower = step(e.node('Less', [pre.lower, e.scalar(0)]));
        const active = e.sub(e.scalar(1), negativeLower);
        const unstable = e.mul(negativeLower, step(e.node('Greater', [pre.upper, e.scalar(0)])));
        const denominator = e.add(e.mul(e.sub(pre.upper, pre.lower), unstable), e.sub(e.scalar(1), unstable));
        const unstableSlope = e.div(e.mul(pre.upper, unstable), denominator);
        const upperSlope = e.unsqueeze(e.add(active, unstableSlope), [1]);
        const upperIntercept = e.unsqueeze(e.neg(e.mul(unstableSlope, pre.lower)), [1]);
        const lowerSlope = e.unsqueeze(e.add(active, e.mul(unstable, step(e.node('Greater', [e.add(pre.upper, pre.lower), e.scalar(0)])))), [1]);
        const positive = e.node('Relu', [a]);
        const negative = e.sub(a, positive);
        bias = e.add(bias, e.reduceSum(e.mul(negative, upperIntercept), [2], false));
        a = e.add(e.mul(positive, lowerSlope), e.mul(negative, upperSlope));
        value = producer.inputs[0];
      } else if (producer?.opType === 'Gemm' && intervals.has(producer.inputs[0])) {
        const attrs = new OnnxAttributes(producer);
        if (attrs.int('transA', 0) !== 0 || attrs.float('alpha', 1) !== 1 || attrs.float('beta', 1) !== 1) throw unsupported(graph, `CROWN-IBP through Gemm node "${producer.name}" with transA, alpha or beta`);
        const weight = producer.inputs[1];
        if (producer.inputs[2]) bias = e.add(bias, e.squeeze(e.node('MatMul', [a, e.unsqueeze(producer.inputs[2], [1])]), [2]));
        // z = h·W (W [in, out]) or h·Wᵀ (transB, W [out, in]): A over h is A·Wᵀ or A·W.
        a = e.node('MatMul', [a, attrs.int('transB', 0) ? weight : e.transpose(weight, [1, 0])]);
        value = producer.inputs[0];
      } else break;
    }
    // The chain must reach the input through layout ops only, so concretising on this value's box is exact.
    for (let v = value; v !== input.name; ) {
      const producer = producers.get(v);
      if (!producer || !['Flatten', 'Reshape', 'Identity'].includes(producer.opType)) throw unsupported(graph, `CROWN-IBP below node "${producers.get(value)?.name ?? value}" (only Gemm/ReLU chains over the input, i.e. MLPs; train CNNs with --engine tfjs)`);
      v = producer.inputs[0];
    }
    const iv = intervals.get(value)!;
    const c = e.unsqueeze(center(iv), [2]);
    const r = e.unsqueeze(radius(iv), [2]);
    const dot = e.squeeze(e.sub(e.node('MatMul', [a, c]), e.node('MatMul', [e.node('Abs', [a]), r])), [2]);
    return e.add(dot, bias);
  };

  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index];
    const rawNode = rawNodes[index];
    const boundInputs = node.inputs.map((name) => intervals.get(name));
    if (!boundInputs.some((b) => b !== undefined)) {
      // Shape arithmetic and constants: copied as they are.
      e.nodes.push({ name: rawNode.name ?? '', opType: rawNode.opType, domain: rawNode.domain ?? '', input: [...rawNode.input], output: [...rawNode.output], attribute: attributesOf(rawNode) });
      continue;
    }
    const iv = boundInputs[0];
    const op = node.opType;
    const attrs = new OnnxAttributes(node);
    if (node === finalGemm && (options.elide ?? true) && iv && attrs.float('alpha', 1) === 1 && attrs.float('beta', 1) === 1 && attrs.int('transA', 0) === 0) {
      // Margin elision: rows of W (as [K, H]) minus the label's row, bounded on the hidden interval.
      const weight = constant(node, 1, 'weight');
      const rows = attrs.int('transB', 0) ? weight : e.transpose(weight, [1, 0]);
      const labelRow = e.node('MatMul', [oneHot, rows]);
      const difference = e.sub(e.unsqueeze(labelRow, [1]), e.unsqueeze(rows, [0]));
      const c = e.unsqueeze(center(iv), [2]);
      const r = e.unsqueeze(radius(iv), [2]);
      let marginCenter = e.squeeze(e.node('MatMul', [difference, c]), [2]);
      const marginRadius = e.squeeze(e.node('MatMul', [e.node('Abs', [difference]), r]), [2]);
      let marginBias: string | undefined;
      if (node.inputs[2]) {
        const bias = constant(node, 2, 'bias');
        const labelBias = e.reduceSum(e.mul(oneHot, bias), [1], true);
        marginBias = e.sub(labelBias, bias);
        marginCenter = e.add(marginCenter, marginBias);
      }
      let lower = e.sub(marginCenter, marginRadius);
      if (options.crownIbp) {
        // The margin's zero bias when the Gemm has none: 0 · (the IBP margin), shaped [N, K].
        const crown = crownLower(difference, marginBias ?? e.mul(lower, e.scalar(0)), node.inputs[0]);
        const beta = e.slice(box, [2 * sampleSize + numClasses], [2 * sampleSize + numClasses + 1], [1]);
        lower = e.add(e.mul(beta, crown), e.mul(e.sub(e.scalar(1), beta), lower));
      }
      worst = e.neg(lower);
      elided = true;
      break;
    }
    let result: Interval;
    if (MONOTONE.has(op)) {
      if (boundInputs.slice(1).some((b) => b !== undefined)) throw unsupported(graph, `${op} node "${node.name}" with a bounded second input`);
      const rest = rawNode.input.slice(1);
      result = { lower: copyWith(rawNode, [iv!.lower, ...rest]), upper: copyWith(rawNode, [iv!.upper, ...rest]) };
    } else if (op === 'Dropout') {
      result = iv!;
    } else if (op === 'LeakyRelu') {
      if (attrs.float('alpha', 0.01) < 0) throw unsupported(graph, `LeakyRelu node "${node.name}" with a negative slope`);
      result = { lower: copyWith(rawNode, [iv!.lower]), upper: copyWith(rawNode, [iv!.upper]) };
    } else if (op === 'Gemm') {
      if (!iv || boundInputs[1] || boundInputs[2] || attrs.int('transA', 0) !== 0) throw unsupported(graph, `Gemm node "${node.name}" that is not input × constant weight`);
      const weight = constant(node, 1, 'weight');
      const bias = node.inputs[2] ? constant(node, 2, 'bias') : undefined;
      const alpha = attrs.float('alpha', 1);
      const c = e.node('Gemm', [center(iv), weight, ...(bias ? [bias] : [])], { alpha: { float: alpha }, beta: { float: attrs.float('beta', 1) }, transB: { int: attrs.int('transB', 0) } });
      const r = e.node('Gemm', [radius(iv), e.node('Abs', [weight])], { alpha: { float: Math.abs(alpha) }, transB: { int: attrs.int('transB', 0) } });
      result = fromCenter(c, r);
    } else if (op === 'MatMul') {
      if (!iv || boundInputs[1]) throw unsupported(graph, `MatMul node "${node.name}" that is not input × constant weight`);
      const weight = constant(node, 1, 'weight');
      result = fromCenter(e.node('MatMul', [center(iv), weight]), e.node('MatMul', [radius(iv), e.node('Abs', [weight])]));
    } else if (op === 'Conv') {
      if (!iv || boundInputs[1] || boundInputs[2]) throw unsupported(graph, `Conv node "${node.name}" whose weights are not constants`);
      const weight = constant(node, 1, 'weight');
      const bias = node.inputs[2] ? constant(node, 2, 'bias') : undefined;
      const c = copyWith(rawNode, [center(iv), weight, ...(bias ? [bias] : [])]);
      const r = copyWith(rawNode, [radius(iv), e.node('Abs', [weight])]);
      result = fromCenter(c, r);
    } else if ((op === 'Add' || op === 'Sub') && boundInputs[0] && boundInputs[1]) {
      const [a, b] = [boundInputs[0], boundInputs[1]];
      result = op === 'Add' ? { lower: e.add(a.lower, b.lower), upper: e.add(a.upper, b.upper) } : { lower: e.sub(a.lower, b.upper), upper: e.sub(a.upper, b.lower) };
    } else if (op === 'Div' && boundInputs[0] && !boundInputs[1]) {
      // Division by a constant (e.g. input normalisation): centre / C, radius / |C|.
      const divisor = constant(node, 1, 'divisor');
      result = fromCenter(e.div(center(boundInputs[0]), divisor), e.div(radius(boundInputs[0]), e.node('Abs', [divisor])));
    } else if (op === 'Add' || op === 'Sub' || op === 'Mul') {
      const boundIndex = boundInputs[0] ? 0 : 1;
      const other = constant(node, 1 - boundIndex, 'other operand');
      const b = boundInputs[boundIndex]!;
      if (op === 'Add') result = { lower: e.add(b.lower, other), upper: e.add(b.upper, other) };
      else if (op === 'Sub') result = boundIndex === 0 ? { lower: e.sub(b.lower, other), upper: e.sub(b.upper, other) } : { lower: e.sub(other, b.upper), upper: e.sub(other, b.lower) };
      else result = fromCenter(e.mul(center(b), other), e.mul(radius(b), e.node('Abs', [other])));
    } else {
      throw unsupported(graph, `the op ${op} (node "${node.name}")`);
    }
    for (const name of node.outputs) if (name) intervals.set(name, result);
  }
  if (options.crownIbp && !elided) throw unsupported(graph, 'CROWN-IBP without a final Gemm layer to fold into the margins');
  if (!worst) {
    const out = intervals.get(outputName);
    if (!out) throw unsupported(graph, 'an output that does not depend on the input');
    // Worst-case logits without elision: the label's lower bound against every other class's upper bound.
    worst = e.add(out.upper, e.mul(oneHot, e.sub(out.lower, out.upper)));
  }
  e.nodes.push({ name: ibpGraphNames.worstLogits, opType: 'Identity', input: [worst], output: [ibpGraphNames.worstLogits], attribute: [] });

  const keep = new Set([...weights]);
  for (const n of e.nodes) for (const name of n.input) keep.add(name);
  const initializers = (raw.graph.initializer as Raw[]).filter((t) => keep.has(t.name));
  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnxTypes.ModelProto.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'rampart-ibp',
    graph: {
      name: 'rampart_ibp',
      node: e.nodes,
      initializer: [...initializers, ...e.initializers],
      input: [valueInfo(box, ['N', ibpBoxWidth(sampleSize, numClasses)])],
      output: [valueInfo(ibpGraphNames.worstLogits, ['N', numClasses])],
    },
  });
  return { bytes: onnxTypes.ModelProto.encode(model).finish(), sampleDims, numClasses, weights: [...weights], elided, crownIbp: options.crownIbp ?? false };
}
