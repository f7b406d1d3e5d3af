/**
 * Rampart's reference architectures. All output logits (no final softmax) and take NHWC images.
 * - mlp: Flatten → Dense 256 ReLU → Dense 256 ReLU → Dense K (the MLP of ../shared/design/ENGINE.md).
 * - cnn: Conv 32 3×3 ReLU → MaxPool 2 → Conv 64 3×3 ReLU → MaxPool 2 → Flatten → Dense 128 ReLU → Dense K.
 * Weight initialisers are seeded, so the same seed builds the same network. Optional extras (off by default, so
 * the reference models are unchanged): batch normalisation after each hidden layer's linear part, and dropout
 * before each hidden Dense layer. Dropout is `SeededDropout` (below): tfjs' own dropout draws unseeded masks, and
 * with a seed it repeats one mask every step, so here each training call draws its mask from (seed, call count) —
 * runs with dropout repeat exactly. Both extras need the tfjs training engine (ONNX Runtime runs the inference
 * graph, where dropout is the identity). A 1-D sample shape ([F], tabular data) builds the MLP without Flatten.
 * `hidden` sets the hidden Dense widths (mlp default [256, 256]; the cnn's dense part default [128]): certified
 * (IBP) training needs wider layers than plain training, e.g. an mlp with [1024, 1024].
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, type Tensor } from '../engine/tf.js';
import { RampartError } from '../errors.js';

/**
 * Inverted dropout (Srivastava et al. 2014, https://jmlr.org/papers/v15/srivastava14a.html) with a reproducible
 * mask: the k-th training-mode call keeps each unit with probability 1 − rate using seed hash(seed, k) and scales
 * kept units by 1/(1 − rate); at inference it is the identity. It serialises as a plain Keras/TF.js `Dropout`
 * (class name and config {rate, seed}), so saved models load anywhere and the ONNX exporter treats it as the
 * identity. The call counter lives in the layer instance; the training loop saves it in checkpoints and restores it
 * on resume (`callCount`), so a resumed run draws the masks the uninterrupted run would.
 */
export class SeededDropout extends tfl.layers.Layer {
  static className = 'Dropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;
  constructor(args: { rate: number; seed: number; name?: string }) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new RampartError('BAD_OPTION', `Dropout rate must be in [0, 1) (got ${args.rate}).`);
    this.rate = args.rate;
    this.seed = args.seed;
  }
  /** Training-mode calls so far (the next mask's index); set on resume. */
  get callCount(): number {
    return this.calls;
  }
  set callCount(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new RampartError('INTERNAL', `SeededDropout: call count must be a non-negative integer (got ${value}).`);
    this.calls = value;
  }
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }
  override call(inputs: Tensor | Tensor[], kwargs: { training?: boolean }): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return x;
    const callSeed = (Math.imul(this.seed + 1, 0x9e3779b1) ^ Math.imul(++this.calls, 0x85ebca6b)) >>> 0;
    return tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', callSeed), this.rate), x.dtype);
      return tf.div(tf.mul(x, keep), 1 - this.rate);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

export type ArchitectureName = 'mlp' | 'cnn';
export const architectureNames: readonly ArchitectureName[] = ['mlp', 'cnn'];

export function buildArchitecture(
  arch: ArchitectureName,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
  extras: { batchNorm?: boolean; dropout?: number; hidden?: readonly number[] } = {},
): tfl.Sequential {
  const hidden = extras.hidden ?? (arch === 'mlp' ? [256, 256] : [128]);
  if (hidden.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new RampartError('BAD_OPTION', `Hidden layer widths must be positive integers (got ${hidden.join(',')}), e.g. --hidden 1024,1024.`, {});
  }
  if (arch === 'mlp' && hidden.length === 0) throw new RampartError('BAD_OPTION', 'An mlp needs at least one hidden layer, e.g. --hidden 256,256.', {});
  let layerSeed = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: layerSeed++ });
  const model = tfl.sequential({ name: `rampart-${arch}` });
  const bn = extras.batchNorm ?? false;
  const dropout = extras.dropout ?? 0;
  // With batch norm the ReLU moves after the normalisation: linear → BN → ReLU.
  const act = bn ? undefined : ('relu' as const);
  const afterLinear = () => {
    if (!bn) return;
    model.add(tfl.layers.batchNormalization({}));
    model.add(tfl.layers.activation({ activation: 'relu' }));
  };
  let dropoutSeed = seed * 7919 + 101;
  const drop = () => {
    if (dropout > 0) model.add(new SeededDropout({ rate: dropout, seed: dropoutSeed++ }));
  };
  if (arch === 'mlp') {
    // Flatten needs rank ≥ 3 batches, so 1-D samples (tabular [F]) go straight into the first Dense.
    if (inputShape.length === 1) model.add(tfl.layers.dense({ inputShape: [...inputShape], units: hidden[0], activation: act, kernelInitializer: init() }));
    else {
      model.add(tfl.layers.flatten({ inputShape: [...inputShape] }));
      model.add(tfl.layers.dense({ units: hidden[0], activation: act, kernelInitializer: init() }));
    }
    afterLinear();
    drop();
    for (const units of hidden.slice(1)) {
      model.add(tfl.layers.dense({ units, activation: act, kernelInitializer: init() }));
      afterLinear();
      drop();
    }
    model.add(tfl.layers.dense({ units: numClasses, kernelInitializer: init() }));
    return model;
  }
  if (arch === 'cnn') {
    if (inputShape.length !== 3) {
      throw new RampartError('BAD_OPTION', `--arch cnn needs image data ([H, W, C]); this data has samples of shape [${inputShape.join(', ')}]. Use --arch mlp.`, {});
    }
    model.add(tfl.layers.conv2d({ inputShape: [...inputShape], filters: 32, kernelSize: 3, activation: act, kernelInitializer: init() }));
    afterLinear();
    model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: act, kernelInitializer: init() }));
    afterLinear();
    model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tfl.layers.flatten());
    drop();
    for (const units of hidden) {
      model.add(tfl.layers.dense({ units, activation: act, kernelInitializer: init() }));
      afterLinear();
      drop();
    }
    model.add(tfl.layers.dense({ units: numClasses, kernelInitializer: init() }));
    return model;
  }
  throw new RampartError('BAD_OPTION', `Unknown architecture "${arch as string}". Use --arch mlp or --arch cnn.`, {});
}
