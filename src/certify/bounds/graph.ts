/**
 * The bound graph: the part of an ONNX graph the logits depend on, with a bound rule per node, constants
 * (initializers and Constant nodes) as float32 tensors, and the set of values that depend on the input.
 * Built from a parsed ONNX graph (src/engine/onnx), from any Rampart model (TF.js LayersModels go through
 * `exportToOnnx`), or from hand-written nodes (certified training builds one from a LayersModel's variables).
 * Every unsupported op and every unsupported use of a supported op is collected and reported in ONE error.
 *
 * @example
 * const { graph } = boundGraphFromModel(await loadModel('builtin:mnist-mlp'));
 * graph.nodes.map((n) => n.opType); // ['Flatten', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']
 */
import { tf, type Tensor } from '../../engine/tf.js';
import { RampartError } from '../../errors.js';
import { OnnxAttributes } from '../../engine/onnx/registry.js';
import type { OnnxGraph, OnnxTensor } from '../../engine/onnx/graph.js';
import { parseOnnx } from '../../engine/onnx/graph.js';
import { exportToOnnx } from '../../engine/export-onnx.js';
import type { Model } from '../../engine/model.js';
import type { BoundNode, BoundRule, ConstantValue } from './define.js';
import type { BoundRuleRegistry } from './registry.js';
import { boundRules } from './builtin.js';

export interface BoundGraph {
  source: string;
  inputName: string;
  /** Per-sample input dims as the graph declares them (e.g. [28, 28, 1] for an NHWC export, [784] for a flat one). */
  inputDims: number[];
  outputName: string;
  /** Nodes the output depends on, in topological order. */
  nodes: BoundNode[];
  /** The rule of each node, by node name. */
  rules: Map<string, BoundRule>;
  constants: Map<string, ConstantValue>;
  /** Values that depend on the input. */
  perturbed: Set<string>;
  /** Frees the constant tensors (when the graph owns them). */
  dispose(): void;
}

/** How Rampart's NHWC samples map onto the graph input. */
export type GraphInputLayout = 'nchw' | 'as-is';

function numbersOf(t: OnnxTensor): number[] {
  const out: number[] = new Array<number>(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]!);
  return out;
}

export function constantFromOnnx(t: OnnxTensor): ConstantValue {
  const values = t.data.length <= 4096 || !(t.data instanceof Float32Array) ? numbersOf(t) : [];
  const floats = t.data instanceof Float32Array ? t.data : Float32Array.from(numbersOf(t));
  return { tensor: tf.tensor(floats, t.dims, 'float32'), values, dims: [...t.dims] };
}

export interface BuildGraphInput {
  source: string;
  inputName: string;
  inputDims: number[];
  outputName: string;
  nodes: BoundNode[];
  constants: Map<string, ConstantValue>;
  /** Dispose the constants with the graph (default true). */
  ownsConstants?: boolean;
}

/** Checks a node list against the registry and returns the graph, or throws one error listing every problem. */
export function assembleBoundGraph(input: BuildGraphInput, registry: BoundRuleRegistry = boundRules): BoundGraph {
  const producers = new Map<string, BoundNode>();
  for (const node of input.nodes) for (const o of node.outputs) if (o !== '') producers.set(o, node);
  // Keep only what the output depends on.
  const needed = new Set<BoundNode>();
  const stack = [input.outputName];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const value = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    const node = producers.get(value);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    for (const i of node.inputs) if (i !== '') stack.push(i);
  }
  const nodes = input.nodes.filter((n) => needed.has(n));
  const perturbed = new Set<string>([input.inputName]);
  const problems: string[] = [];
  const unsupported = new Map<string, string[]>();
  const rules = new Map<string, BoundRule>();
  for (const node of nodes) {
    const isPerturbed = node.inputs.map((i) => perturbed.has(i));
    if (isPerturbed.some(Boolean)) for (const o of node.outputs) if (o !== '') perturbed.add(o);
    const missing = node.inputs.filter((i) => i !== '' && !perturbed.has(i) && !input.constants.has(i));
    const rule = registry.get(node.opType);
    if (!rule) {
      unsupported.set(node.opType, [...(unsupported.get(node.opType) ?? []), node.name]);
      continue;
    }
    if (!isPerturbed.some(Boolean)) {
      problems.push(`${node.opType} node "${node.name}" computes a constant from constants (fold it: python -m onnxsim in.onnx out.onnx)`);
      continue;
    }
    if (missing.length > 0) {
      problems.push(`${node.opType} node "${node.name}" reads ${missing.map((m) => `"${m}"`).join(', ')}, which is neither an input, a constant nor computed`);
      continue;
    }
    const constants = node.inputs.map((i) => input.constants.get(i) ?? null);
    for (const p of rule.check?.(node, new OnnxAttributes({ ...node, domain: '' }), isPerturbed, constants) ?? []) {
      problems.push(`${node.opType} node "${node.name}": ${p}`);
    }
    rules.set(node.name, rule);
  }
  if (!perturbed.has(input.outputName) && !input.constants.has(input.outputName)) {
    problems.push(`the output "${input.outputName}" is not computed from the input "${input.inputName}"`);
  }
  if (unsupported.size > 0 || problems.length > 0) {
    if (input.ownsConstants !== false) for (const c of input.constants.values()) c.tensor.dispose();
    const ops = [...unsupported].map(([op, names]) => `${op} (${names.length} node${names.length > 1 ? 's' : ''}: ${names.slice(0, 3).map((n) => `"${n}"`).join(', ')}${names.length > 3 ? ', …' : ''})`);
    const parts: string[] = [];
    if (ops.length > 0) parts.push(`unsupported op type${ops.length > 1 ? 's' : ''}: ${ops.join('; ')}`);
    if (problems.length > 0) parts.push(`unsupported uses: ${problems.join('; ')}`);
    throw new RampartError(
      'ONNX_UNSUPPORTED_OPS',
      `Bound propagation cannot handle ${input.source}: ${parts.join('. ')}. Supported op types: ${registry.opTypes().join(', ')}. ` +
        'Remove a final Softmax (bounds are on logits), fold constant subgraphs (python -m onnxsim), or rebuild the model from supported layers; ' +
        'randomized smoothing (--method smoothing) certifies any model.',
      { unsupportedOps: [...unsupported.keys()], problems },
    );
  }
  const ownsConstants = input.ownsConstants !== false;
  return {
    source: input.source,
    inputName: input.inputName,
    inputDims: input.inputDims,
    outputName: input.outputName,
    nodes,
    rules,
    constants: input.constants,
    perturbed,
    dispose() {
      if (ownsConstants) for (const c of input.constants.values()) c.tensor.dispose();
    },
  };
}

/** Bound graph of a parsed ONNX graph (its first input, its first output). */
export function boundGraphFromOnnx(onnx: OnnxGraph, registry: BoundRuleRegistry = boundRules): BoundGraph {
  const input = onnx.inputs[0];
  const output = onnx.outputs[0];
  if (!input || !output) throw new RampartError('MODEL_UNSUPPORTED', `${onnx.source} has no input or no output; bound propagation needs one of each.`, {});
  const sampleDims = (input.dims ?? []).slice(1);
  if (!sampleDims.every((d): d is number => typeof d === 'number' && d > 0)) {
    throw new RampartError('MODEL_UNSUPPORTED', `${onnx.source}: the input's sample dims [${sampleDims.join(', ')}] are not all fixed; re-export with a symbolic batch axis only.`, {});
  }
  const constants = new Map<string, ConstantValue>();
  for (const [name, t] of onnx.initializers) constants.set(name, constantFromOnnx(t));
  const nodes: BoundNode[] = [];
  for (const node of onnx.nodes) {
    if (node.opType === 'Constant' && node.domain === '') {
      const value = node.attributes.get('value');
      if (value && typeof value === 'object' && 'dims' in value) {
        constants.set(node.outputs[0]!, constantFromOnnx(value as OnnxTensor));
        continue;
      }
    }
    nodes.push({ name: node.name || `${node.opType}:${node.outputs[0] ?? ''}`, opType: node.domain === '' ? node.opType : `${node.domain}.${node.opType}`, inputs: node.inputs, outputs: node.outputs, attributes: node.attributes });
  }
  return assembleBoundGraph({ source: onnx.source, inputName: input.name, inputDims: sampleDims, outputName: output.name, nodes, constants }, registry);
}

/**
 * Bound graph of a Rampart model: ONNX models use their parsed graph, TF.js LayersModels their ONNX export.
 * `layout` says how to feed Rampart's NHWC samples to the graph.
 */
export function boundGraphFromModel(model: Model, registry: BoundRuleRegistry = boundRules): { graph: BoundGraph; layout: GraphInputLayout } {
  const m = model as Model & { graph?: OnnxGraph; layout?: string; layersModel?: unknown };
  if (m.graph && typeof m.graph === 'object' && 'nodes' in m.graph) {
    return { graph: boundGraphFromOnnx(m.graph, registry), layout: m.layout === 'nchw' ? 'nchw' : 'as-is' };
  }
  if (m.layersModel) {
    const bytes = exportToOnnx(m.layersModel as Parameters<typeof exportToOnnx>[0]);
    return { graph: boundGraphFromOnnx(parseOnnx(bytes, `${model.id} (ONNX export)`), registry), layout: 'as-is' };
  }
  throw new RampartError(
    'MODEL_UNSUPPORTED',
    `Bound propagation needs the model's graph: ${model.id} is a ${model.format} model without one. Use an ONNX file or a TF.js layers model, or --method smoothing.`,
    {},
  );
}

/** Rampart's NHWC batch [N, ...inputShape] → the graph's input layout [N, ...graph.inputDims]. */
export function toGraphInput(x: Tensor, graph: BoundGraph, layout: GraphInputLayout): Tensor {
  return tf.tidy(() => {
    const t = layout === 'nchw' && x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
    const want = [t.shape[0]!, ...graph.inputDims];
    return want.length === t.shape.length && want.every((d, i) => d === t.shape[i]) ? t.clone() : tf.reshape(t, want);
  });
}
