/**
 * The bound-rule contract (auto_LiRPA style: one rule per ONNX op type). A rule says how an op maps bounds:
 * - `ibp`: interval bound propagation, input intervals → output interval (Gowal et al. 2018).
 * - `crown`: one step of the backward linear bound pass (Zhang et al. 2018): given linear coefficients `lA`
 *   (for a lower bound) and `uA` (for an upper bound) on the op's output, return the coefficients on each
 *   perturbed input and the constant terms the op contributes. Nonlinear ops relax themselves with the
 *   pre-activation interval of their input.
 *
 * Shapes: every bound value is batched per sample, `[N, ...sample]`, in the ONNX graph's own layout (NCHW after
 * a layout Transpose). Coefficients are `[N, S, ...sample]` for S specification rows; biases are `[N, S]`.
 * Rules are pure tfjs code (no data reads), so the same rule runs inside `tf.grad` for α-CROWN and certified
 * training. A rule is a config object; builtin.ts registers them.
 *
 * @example
 * defineBoundRule({ opType: 'Identity', ibp: ({ inputs }) => inputs[0]!, crown: ({ lA, uA }) => ({ inputs: [{ lA, uA }], lBias: null, uBias: null }) });
 */
import type { Tensor } from '../../engine/tf.js';
import { OnnxAttributes } from '../../engine/onnx/registry.js';
import type { OnnxAttributeValue } from '../../engine/onnx/graph.js';

/** Elementwise lower and upper bounds of a batched value `[N, ...sample]`. */
export interface Interval {
  lower: Tensor;
  upper: Tensor;
}

/** Linear coefficients of the backward pass; null when that side is not being bounded. */
export interface Coefficients {
  lA: Tensor | null;
  uA: Tensor | null;
}

/** A constant input (initializer or Constant node): its float32 tensor and its raw numbers (shapes, axes). */
export interface ConstantValue {
  tensor: Tensor;
  values: number[];
  dims: number[];
}

/** One op of the bound graph. */
export interface BoundNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttributeValue>;
}

export interface RuleContext {
  node: BoundNode;
  attrs: OnnxAttributes;
  /** Interval of each perturbed input, null where the input is a constant (or omitted). */
  inputs: (Interval | null)[];
  /** Each constant input, null where the input is perturbed (or omitted). */
  constants: (ConstantValue | null)[];
}

export interface CrownContext extends RuleContext {
  /** Coefficients on this op's output, `[N, S, ...outSample]`. */
  lA: Tensor | null;
  uA: Tensor | null;
  /** Shape of this op's output `[N, ...outSample]` (from the forward pass). */
  outputShape: number[];
  /** Optimisable lower slopes (α-CROWN) for the ReLU whose output this is, `[N, S, ...sample]`. */
  alpha?: Tensor;
}

export interface CrownStep {
  /** Coefficients on each input (null for constant inputs). */
  inputs: (Coefficients | null)[];
  /** Constant terms this op adds to the lower / upper bound, `[N, S]`, or null for none. */
  lBias: Tensor | null;
  uBias: Tensor | null;
}

export interface BoundRule {
  opType: string;
  /**
   * Problems with this node that make it unsupported (e.g. a perturbed weight operand, grouped convolution),
   * as short sentences; checked once when the graph is built so every problem is reported together.
   * `perturbed[i]` says whether input i depends on the network input.
   */
  check?: (node: BoundNode, attrs: OnnxAttributes, perturbed: boolean[], constants: (ConstantValue | null)[]) => string[];
  /** True for ops whose relaxation needs tight bounds on their input (ReLU, Sigmoid, Tanh, MaxPool). */
  nonlinear?: boolean;
  /** True for ops that only move values (Identity, Reshape, Transpose): no float32 safety widening needed. */
  exact?: boolean;
  /** True for affine ops: the final IBP step can fold the specification matrix into them. */
  affine?: boolean;
  ibp(ctx: RuleContext): Interval;
  crown(ctx: CrownContext): CrownStep;
}

export function defineBoundRule(rule: BoundRule): BoundRule {
  return rule;
}
