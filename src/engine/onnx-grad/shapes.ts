/**
 * Static value facts for the backward-graph generator, found by probing: the graph is imported into tfjs ops
 * (the ONNX importer's registry, each rule wrapped to record what it produced) and run on two zero batches of
 * different sizes. Every value then has a dtype class, its dims at both batch sizes (a dim that differs is a
 * batch dim), and, for host shape data (pads, starts, target shapes), its numbers. Backward rules use these to
 * choose reduction axes for broadcasts, ConvTranspose output paddings, Slice/Pad amounts and count maps.
 */
import { tf } from '../tf.js';
import type { OnnxGraph } from '../onnx/graph.js';
import { importOnnxGraph } from '../onnx/import.js';
import { builtinOnnxOps } from '../onnx/builtin.js';
import { OnnxOpRegistry, defineOnnxOp } from '../onnx/registry.js';
import { isHost, type OnnxValue } from '../onnx/values.js';

export type ValueKind = 'float' | 'int' | 'bool';

export interface ValueFacts {
  kind: ValueKind;
  /** Dims at the first probe batch. */
  dims: number[];
  /** Dims at the second probe batch. */
  dims2: number[];
  /** The numbers of host (shape) data at the first probe, when small and batch-independent. */
  host?: number[];
}

export interface ProbeResult {
  facts: Map<string, ValueFacts>;
  /** The two probe batch sizes. */
  batches: [number, number];
}

function describe(value: OnnxValue): { kind: ValueKind; dims: number[]; host?: number[] } {
  if (isHost(value)) return { kind: value.kind, dims: [...value.dims], host: value.data.length <= 4096 ? [...value.data] : undefined };
  const kind: ValueKind = value.dtype === 'bool' ? 'bool' : value.dtype === 'int32' ? 'int' : 'float';
  return { kind, dims: [...value.shape] };
}

function probeOnce(graph: OnnxGraph, batch: number): Map<string, { kind: ValueKind; dims: number[]; host?: number[] }> {
  const seen = new Map<string, { kind: ValueKind; dims: number[]; host?: number[] }>();
  const registry = new OnnxOpRegistry();
  for (const opType of builtinOnnxOps.opTypes()) {
    const rule = builtinOnnxOps.get(opType)!;
    registry.register(
      defineOnnxOp({
        opType,
        run(context) {
          const result = rule.run(context);
          const outputs = Array.isArray(result) ? result : [result];
          context.node.outputs.forEach((name, i) => {
            if (name !== '' && outputs[i] !== undefined) seen.set(name, describe(outputs[i]));
          });
          return result;
        },
      }),
    );
  }
  const input = graph.inputs[0];
  const sample = (input.dims ?? []).slice(1).map((d) => (typeof d === 'number' ? d : 1));
  const imported = importOnnxGraph(graph, { registry });
  try {
    tf.tidy(() => {
      imported.run(tf.zeros([batch, ...sample]));
    });
  } finally {
    imported.dispose();
  }
  seen.set(input.name, { kind: 'float', dims: [batch, ...sample] });
  for (const [name, tensor] of graph.initializers) {
    const float = tensor.data instanceof Float32Array || tensor.data instanceof Float64Array;
    const host = !float && tensor.data.length <= 4096 ? Array.from(tensor.data as ArrayLike<number | bigint>, (v) => Number(v)) : undefined;
    seen.set(name, { kind: float ? 'float' : tensor.dataType === 9 ? 'bool' : 'int', dims: [...tensor.dims], host });
  }
  return seen;
}

/**
 * Probes a single-input graph at two batch sizes (2 and 3 by default; a model whose shape arithmetic pins the
 * batch can pass its fixed batch twice, and then no dim is recognised as a batch dim).
 */
export function probeShapes(graph: OnnxGraph, batches: [number, number] = [2, 3]): ProbeResult {
  const first = probeOnce(graph, batches[0]);
  const second = batches[1] === batches[0] ? first : probeOnce(graph, batches[1]);
  const facts = new Map<string, ValueFacts>();
  for (const [name, a] of first) {
    const b = second.get(name);
    if (!b) continue;
    const batchFree = a.host && b.host && a.host.length === b.host.length && a.host.every((v, i) => v === b.host![i]);
    facts.set(name, { kind: a.kind, dims: a.dims, dims2: b.dims, host: batchFree ? a.host : undefined });
  }
  return { facts, batches };
}
