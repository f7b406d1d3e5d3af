/**
 * Rampart's reference architectures. All output logits (no final softmax) and take NHWC images.
 * - mlp: Flatten → Dense 256 ReLU → Dense 256 ReLU → Dense K (the MLP of ../shared/design/ENGINE.md).
 * - cnn: Conv 32 3×3 ReLU → MaxPool 2 → Conv 64 3×3 ReLU → MaxPool 2 → Flatten → Dense 128 ReLU → Dense K.
 * Weight initialisers are seeded, so the same seed builds the same network. Optional extras (off by default, so
 * the reference models are unchanged): batch normalisation after each hidden layer's linear part, and dropout
 * before each hidden Dense layer. Caveat: tfjs draws dropout masks unseeded (its seeded dropout repeats one mask
 * every step), so runs with dropout are not bit-reproducible; both extras need the tfjs training engine.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { RampartError } from '../errors.js';

export type ArchitectureName = 'mlp' | 'cnn';
export const architectureNames: readonly ArchitectureName[] = ['mlp', 'cnn'];

export function buildArchitecture(
  arch: ArchitectureName,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
  extras: { batchNorm?: boolean; dropout?: number } = {},
): tfl.Sequential {
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
  const drop = () => {
    if (dropout > 0) model.add(tfl.layers.dropout({ rate: dropout }));
  };
  if (arch === 'mlp') {
    // Flatten needs rank ≥ 3 batches, so 1-D samples (tabular [F]) go straight into the first Dense.
    if (inputShape.length === 1) model.add(tfl.layers.dense({ inputShape: [...inputShape], units: 256, activation: act, kernelInitializer: init() }));
    else {
      model.add(tfl.layers.flatten({ inputShape: [...inputShape] }));
      model.add(tfl.layers.dense({ units: 256, activation: act, kernelInitializer: init() }));
    }
    afterLinear();
    drop();
    model.add(tfl.layers.dense({ units: 256, activation: act, kernelInitializer: init() }));
    afterLinear();
    drop();
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
    model.add(tfl.layers.dense({ units: 128, activation: act, kernelInitializer: init() }));
    afterLinear();
    drop();
    model.add(tfl.layers.dense({ units: numClasses, kernelInitializer: init() }));
    return model;
  }
  throw new RampartError('BAD_OPTION', `Unknown architecture "${arch as string}". Use --arch mlp or --arch cnn.`, {});
}
