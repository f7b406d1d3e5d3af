/**
 * Exact forward rewrites that make backward graphs cheaper, applied before differentiation.
 *
 * `Relu → MaxPool` becomes `MaxPool → Relu` when the ReLU output feeds only that pool: max pooling commutes
 * with any non-decreasing function, so the values are bit-identical, and the backward pass then applies the
 * ReLU mask to the pooled gradient (a quarter of the elements for 2×2 pools) instead of to the full-size
 * unpooled one. The routed gradient is unchanged: where the pooled maximum is ≤ 0 both orders give 0, and
 * elsewhere the first maximum is the same element in both orders.
 */
import type { OnnxNode } from '../onnx/graph.js';
import type { ValueFacts } from './shapes.js';

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
