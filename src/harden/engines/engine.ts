/**
 * The training-engine contract: host Float32Array weights and samples in, gradients out. Two engines implement
 * it — ONNX Runtime backward graphs with the weights fed as inputs (`ort-engine.ts`, 2–4× faster than tfjs-wasm
 * on the reference CNN, see docs/harden.md) and tfjs autodiff (`tfjs-engine.ts`, for objectives ORT has no loss
 * head for: label smoothing, TRADES' KL term, interval bounds, batch norm/dropout in training mode).
 * Samples are in the model's layout as Rampart feeds it (NHWC images or [F] rows).
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';

export interface ForwardResult {
  /** [count · K] */
  logits: Float32Array;
  /** Per-sample cross-entropy [count]. */
  loss: Float32Array;
}

export interface InputGradientResult extends ForwardResult {
  /** d(Σᵢ wᵢ·Lᵢ)/dx, [count · sample]. */
  gradient: Float32Array;
}

export interface WeightGradientResult extends ForwardResult {
  /** d(Σᵢ wᵢ·CEᵢ)/dW per weight (pass wᵢ = 1/N for the mean loss). */
  gradients: Map<string, Float32Array>;
}

export interface TrainingEngine {
  readonly kind: 'ort' | 'tfjs';
  readonly sampleShape: readonly number[];
  readonly numClasses: number;
  /** The weights being trained, by name (updated in place by the optimizer; `commit` publishes them). */
  readonly weights: Map<string, Float32Array>;
  /** Cross-entropy (or CW margin) input gradient weighted per sample (default weight 1). */
  inputGradient(x: Float32Array, labels: ArrayLike<number>, count: number, loss?: 'cross-entropy' | 'cw-margin', weights?: Float32Array): Promise<InputGradientResult>;
  /** Weight gradients of Σᵢ wᵢ·CE(xᵢ, yᵢ). */
  weightGradients(x: Float32Array, labels: ArrayLike<number>, weights: Float32Array, count: number): Promise<WeightGradientResult>;
  /** Inference-mode logits [count · K]. */
  logits(x: Float32Array, count: number): Promise<Float32Array>;
  /** Called after the optimizer changed `weights` (the tfjs engine writes them into its variables). */
  weightsChanged(): void;
  /** Writes the current weights into the LayersModel, when the engine trains one. */
  commit(): void;
  /** The LayersModel being trained, if any. */
  readonly layersModel?: LayersModel;
  release(): Promise<void>;
}

export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
