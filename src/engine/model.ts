/**
 * The model contract (Foolbox-style, small). Inputs are always float32 in `bounds`, laid out NHWC for images
 * ([N, H, W, C]) or [N, F] for tabular data; any preprocessing (normalisation, layout) lives in the wrapper.
 */
import type { Tensor, Tensor1D, Tensor2D } from './tf.js';
import type { LossName } from './losses.js';

export type ModelFormat = 'tfjs-layers' | 'tfjs-graph' | 'onnx';

/** Closed interval of valid input values. */
export type Bounds = readonly [min: number, max: number];

export interface Model {
  /** Stable identifier, e.g. `builtin:mnist-cnn` or the file path the model was loaded from. */
  readonly id: string;
  readonly format: ModelFormat;
  /** Shape of one sample as Rampart feeds it: [H, W, C] for images, [F] for tabular data. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly bounds: Bounds;
  /** Logits for a batch. The caller owns (and disposes) the returned tensor. */
  logits(x: Tensor): Promise<Tensor2D>;
  /** Releases weights and sessions. */
  dispose(): void;
}

export interface LossAndGradient {
  /** Per-sample loss, shape [N]. */
  loss: Tensor1D;
  /** d(sum of per-sample losses)/dx, same shape as x. */
  gradient: Tensor;
  /** Logits of the forward pass that produced the gradient, shape [N, K]. */
  logits: Tensor2D;
}

/** A model whose input gradients are available (white-box). */
export interface DifferentiableModel extends Model {
  /** Synchronous logits for use inside `tf.tidy`. */
  logitsSync(x: Tensor): Tensor2D;
  /**
   * Per-sample loss and its input gradient; async so a backend may route it through ONNX Runtime.
   * `targets` is needed by losses that use target labels besides the labels (dlr-targeted).
   */
  lossAndGradient(x: Tensor, labels: Tensor1D, loss?: LossName, targets?: Tensor1D): Promise<LossAndGradient>;
  /** Synchronous form for use inside `tf.tidy` (TF.js path). */
  lossAndGradientSync(x: Tensor, labels: Tensor1D, loss?: LossName, targets?: Tensor1D): LossAndGradient;
}

export function isDifferentiable(model: Model): model is DifferentiableModel {
  // An adapter may carry the methods yet have no gradient path (an ONNX model loaded forward-only).
  if ((model as { gradientsAvailable?: boolean }).gradientsAvailable === false) return false;
  return typeof (model as Partial<DifferentiableModel>).lossAndGradientSync === 'function';
}

/** What `rampart info` shows about a model; adapters expose these when they know them. */
export interface ModelDescription {
  parameterCount?: number;
  opTypes: string[];
  whiteBox: boolean;
}

export function describeModel(model: Model): ModelDescription {
  const extra = model as Partial<{ parameterCount: number; opTypes: string[] }>;
  return {
    parameterCount: extra.parameterCount,
    opTypes: extra.opTypes ?? [],
    whiteBox: isDifferentiable(model),
  };
}
