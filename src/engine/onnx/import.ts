/**
 * Imports a parsed ONNX graph as a pure tfjs function `(x) => y` in the model's own layout (NCHW for images,
 * as ONNX defines), built from tfjs ops so `tf.grad` differentiates through it. The whole graph is checked
 * against the op registry first and every unsupported op type is reported in one error. Weights become tfjs
 * tensors once; nodes that depend only on weights and constants are folded once at import; integer shape
 * arithmetic runs on the host on every call (it depends on the batch size).
 */
import { tf, type Tensor } from '../tf.js';
import { RampartError } from '../../errors.js';
import { graphOpTypes, type OnnxGraph, type OnnxNode, type OnnxValueInfo } from './graph.js';
import { OnnxAttributes, type OnnxOpContext, type OnnxOpRegistry } from './registry.js';
import { builtinOnnxOps } from './builtin.js';
import { fromOnnxTensor, isHost, toFloatTensor, type OnnxValue } from './values.js';

export interface ImportedOnnxGraph {
  /** The single graph input the function takes. */
  readonly input: OnnxValueInfo;
  /** The graph output the function returns (the first one). */
  readonly output: OnnxValueInfo;
  /** Runs the graph on `x` (model layout, batch first). Differentiable; usable inside tf.tidy. */
  run(x: Tensor): Tensor;
  /** Number of weight tensors held (for leak accounting). */
  readonly heldTensors: number;
  /** Releases the weight tensors. */
  dispose(): void;
}

export interface ImportOptions {
  /** Op rules to import with; defaults to the built-in registry. */
  registry?: OnnxOpRegistry;
}

/** Throws ONNX_UNSUPPORTED_OPS listing every op type in the graph that the registry lacks. */
export function checkSupportedOps(graph: OnnxGraph, registry: OnnxOpRegistry = builtinOnnxOps): void {
  const missing = graphOpTypes(graph).filter((qualified) => {
    const colon = qualified.lastIndexOf(':');
    const domain = colon >= 0 ? qualified.slice(0, colon) : '';
    const opType = colon >= 0 ? qualified.slice(colon + 1) : qualified;
    return !registry.get(opType, domain);
  });
  if (missing.length > 0) {
    throw new RampartError(
      'ONNX_UNSUPPORTED_OPS',
      `${graph.source} uses ${missing.length} ONNX op type${missing.length > 1 ? 's' : ''} Rampart cannot import: ${missing.join(', ')}. ` +
        `Supported: ${registry.opTypes().join(', ')}. Re-export the model without them (e.g. a different opset or ` +
        `simpler layers), or run forward-only through ONNX Runtime.`,
      { source: graph.source, unsupported: missing, supported: registry.opTypes() },
    );
  }
}

function makeContext(node: OnnxNode, opset: number, values: Map<string, OnnxValue>, source: string): OnnxOpContext {
  const attributes = new OnnxAttributes(node);
  const optionalInput = (i: number): OnnxValue | undefined => {
    const name = node.inputs[i];
    if (name === undefined || name === '') return undefined;
    const value = values.get(name);
    if (value === undefined) {
      throw new RampartError(
        'MODEL_CORRUPT',
        `${source} is not a valid ONNX model (node "${node.name}" reads "${name}", which no earlier node, initializer or input provides). Re-export it with torch.onnx.export.`,
        { node: node.name, value: name },
      );
    }
    return value;
  };
  return {
    node,
    opset,
    attributes,
    optionalInput,
    input(i) {
      const value = optionalInput(i);
      if (value === undefined) {
        throw new RampartError(
          'MODEL_CORRUPT',
          `${source} is not a valid ONNX model (node "${node.name}" (${node.opType}) lacks its required input ${i}).`,
          { node: node.name },
        );
      }
      return value;
    },
    unsupported(what) {
      return new RampartError(
        'MODEL_UNSUPPORTED',
        `${source}: node "${node.name}" (${node.opType}): ${what}. Re-export the model without it.`,
        { node: node.name, opType: node.opType },
      );
    },
  };
}

function runNode(node: OnnxNode, registry: OnnxOpRegistry, context: OnnxOpContext, values: Map<string, OnnxValue>): void {
  const rule = registry.get(node.opType, node.domain);
  if (!rule) throw new RampartError('INTERNAL', `No rule for ${node.opType} after the support check.`);
  const result = rule.run(context);
  const outputs = Array.isArray(result) ? result : [result];
  node.outputs.forEach((name, i) => {
    if (name !== '' && outputs[i] !== undefined) values.set(name, outputs[i]);
  });
}

/**
 * Builds the tfjs function for a graph with exactly one real input.
 * @throws RampartError ONNX_UNSUPPORTED_OPS, MODEL_UNSUPPORTED (several inputs), MODEL_CORRUPT.
 */
export function importOnnxGraph(graph: OnnxGraph, options: ImportOptions = {}): ImportedOnnxGraph {
  const registry = options.registry ?? builtinOnnxOps;
  checkSupportedOps(graph, registry);
  if (graph.inputs.length !== 1) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `${graph.source} has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}); Rampart models take exactly one input tensor. Export a model with a single image or feature input.`,
      { source: graph.source },
    );
  }
  const input = graph.inputs[0];
  const output = graph.outputs[0];

  // Weights, then every node that depends only on weights and constants, evaluated once and kept.
  const constants = new Map<string, OnnxValue>();
  const live: OnnxNode[] = [];
  tf.tidy(() => {
    for (const [name, tensor] of graph.initializers) constants.set(name, fromOnnxTensor(tensor));
    for (const node of graph.nodes) {
      const foldable = node.inputs.every((name) => name === '' || constants.has(name)) && node.opType !== 'Dropout';
      if (foldable) runNode(node, registry, makeContext(node, graph.opset, constants, graph.source), constants);
      else live.push(node);
    }
    for (const value of constants.values()) if (!isHost(value)) tf.keep(value);
  });
  // Drop folded intermediates nobody reads, so they do not occupy memory.
  const needed = new Set<string>([output.name, ...live.flatMap((n) => n.inputs)]);
  for (const [name, value] of constants) {
    if (!needed.has(name)) {
      if (!isHost(value)) value.dispose();
      constants.delete(name);
    }
  }
  const held = [...constants.values()].filter((v) => !isHost(v)) as Tensor[];
  let disposed = false;

  return {
    input,
    output,
    heldTensors: held.length,
    run(x: Tensor): Tensor {
      if (disposed) throw new RampartError('BAD_OPTION', `${graph.source}: the model was disposed; load it again.`);
      return tf.tidy(() => {
        const values = new Map<string, OnnxValue>(constants);
        values.set(input.name, x);
        for (const node of live) runNode(node, registry, makeContext(node, graph.opset, values, graph.source), values);
        const result = values.get(output.name);
        if (result === undefined) {
          throw new RampartError('MODEL_CORRUPT', `${graph.source} is not a valid ONNX model (no node produces its output "${output.name}").`);
        }
        const tensor = toFloatTensor(result);
        // Never hand out the caller's input or a held weight: the caller will dispose what we return.
        return tensor === x || held.includes(tensor) ? tf.clone(tensor) : tensor;
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const tensor of held) tensor.dispose();
    },
  };
}
