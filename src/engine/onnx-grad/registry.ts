/**
 * The registry of backward rules for the ONNX backward-graph generator, one config object per ONNX op type
 * (mirroring the forward import's `OnnxOpRegistry`). A rule reads the forward node, the gradients flowing into
 * its outputs and the probed static facts, and emits ONNX nodes that add gradient contributions to the inputs
 * that need them. A rule that meets an attribute combination it cannot express throws
 * {@link BackwardUnsupported}; the generator collects every such reason and the caller falls back to tfjs.
 */
import type { OnnxNode } from '../onnx/graph.js';
import { OnnxAttributes } from '../onnx/registry.js';
import { RampartError } from '../../errors.js';
import type { GraphEmitter } from './emitter.js';
import type { ValueFacts } from './shapes.js';

/** Thrown by a rule (or the generator) when a graph cannot get an ONNX backward graph. */
export class BackwardUnsupported extends RampartError {
  constructor(
    message: string,
    readonly reasons: string[],
  ) {
    super('MODEL_UNSUPPORTED', message, { reasons });
  }
}

export interface BackwardContext {
  node: OnnxNode;
  attributes: OnnxAttributes;
  /** Opset the forward model was written for (attribute-vs-input forms follow it). */
  opset: number;
  emit: GraphEmitter;
  /** Forward value name of input i ('' when omitted). */
  input(i: number): string;
  /** Forward value name of output i. */
  output(i: number): string;
  /** dLoss/d(output i), or undefined when no gradient reaches that output. */
  grad(i: number): string | undefined;
  /** Whether input i needs a gradient (it depends on x or on a trainable weight, and reaches the loss). */
  needsGrad(i: number): boolean;
  /** Adds a gradient contribution for input i (summed with the others). */
  addGrad(i: number, name: string): void;
  /** Probed facts of a value. */
  facts(name: string): ValueFacts;
  /** Static numbers of a batch-independent shape-like value (pads, starts, axes), or undefined. */
  host(name: string): number[] | undefined;
  /** Float data of a constant (initializer or Constant node), or undefined. */
  constant(name: string): Float32Array | undefined;
  /** Name of forward output i, adding it to the forward node when the node did not request it. */
  forwardOutput(i: number): string;
  /** Signals that this node's configuration has no backward rule. */
  unsupported(why: string): BackwardUnsupported;
}

export interface BackwardRule {
  /** ONNX op type in the default domain. */
  opType: string;
  /** Input positions that hold weights (trained when they are initializers). */
  parameterInputs?: readonly number[];
  /** Emits the gradient contributions of one node. */
  backward(context: BackwardContext): void;
}

export function defineBackwardRule(rule: BackwardRule): BackwardRule {
  return rule;
}

export class BackwardRegistry {
  private readonly rules = new Map<string, BackwardRule>();

  register(...rules: BackwardRule[]): this {
    for (const rule of rules) {
      if (this.rules.has(rule.opType)) throw new RampartError('INTERNAL', `Backward rule "${rule.opType}" registered twice.`);
      this.rules.set(rule.opType, rule);
    }
    return this;
  }

  get(opType: string, domain = ''): BackwardRule | undefined {
    return domain === '' ? this.rules.get(opType) : undefined;
  }

  opTypes(): string[] {
    return [...this.rules.keys()].sort();
  }
}

// ---- helpers shared by rules ------------------------------------------------------------------------

/**
 * Sums a gradient of the broadcast result `out` down to the shape of operand `operand` (NumPy broadcasting):
 * leading axes are summed away and axes where the operand has size 1 are summed with keepdims.
 */
export function reduceToOperand(context: BackwardContext, grad: string, operand: string, out: string): string {
  const op = context.facts(operand);
  const res = context.facts(out);
  const lead = res.dims.length - op.dims.length;
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  op.dims.forEach((d, i) => {
    if (d === 1 && op.dims2[i] === 1 && (res.dims[lead + i] !== 1 || res.dims2[lead + i] !== 1)) axes.push(lead + i);
  });
  if (axes.length === 0) return grad;
  const summed = context.emit.reduceSum(grad, axes, true);
  const batchFree = op.dims.every((d, i) => d === op.dims2[i]);
  return batchFree
    ? context.emit.reshape(summed, context.emit.int64(op.dims))
    : context.emit.reshapeLike(summed, operand);
}

/** True when both probes gave the same dims (no batch dim). */
export function batchFree(facts: ValueFacts): boolean {
  return facts.dims.length === facts.dims2.length && facts.dims.every((d, i) => d === facts.dims2[i]);
}
