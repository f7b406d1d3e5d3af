/**
 * Rampart's reference architectures. All output logits (no final softmax) and take NHWC images.
 * - mlp: Flatten → Dense 256 ReLU → Dense 256 ReLU → Dense K (the MLP of ../shared/design/ENGINE.md).
 * - cnn: Conv 32 3×3 ReLU → MaxPool 2 → Conv 64 3×3 ReLU → MaxPool 2 → Flatten → Dense 128 ReLU → Dense K.
 * Weight initialisers are seeded, so the same seed builds the same network. No dropout: tfjs' seeded dropout
 * draws the same mask on every step, and unseeded dropout breaks reproducibility; augmentation regularises instead.
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
): tfl.Sequential {
  let layerSeed = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: layerSeed++ });
  const model = tfl.sequential({ name: `rampart-${arch}` });
  if (arch === 'mlp') {
    model.add(tfl.layers.flatten({ inputShape: [...inputShape] }));
    model.add(tfl.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init() }));
    model.add(tfl.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init() }));
    model.add(tfl.layers.dense({ units: numClasses, kernelInitializer: init() }));
    return model;
  }
  if (arch === 'cnn') {
    if (inputShape.length !== 3) {
      throw new RampartError('BAD_OPTION', `--arch cnn needs image data ([H, W, C]); this data has samples of shape [${inputShape.join(', ')}]. Use --arch mlp.`, {});
    }
    model.add(tfl.layers.conv2d({ inputShape: [...inputShape], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: init() }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: init() }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init() }));
    model.add(tfl.layers.dense({ units: numClasses, kernelInitializer: init() }));
    return model;
  }
  throw new RampartError('BAD_OPTION', `Unknown architecture "${arch as string}". Use --arch mlp or --arch cnn.`, {});
}
