/**
 * Tiny seeded TF.js LayersModels for bound and certified-training tests: a CNN (conv 3×3 → 2×2 max-pool →
 * [conv 2×2] → flatten → [dropout] → dense 6 → dense 4) on 8×8×1 and an MLP (flatten → dense ReLU layers → dense 3) on
 * 4×4×1. Glorot-uniform weights from consecutive seeds; hidden biases random, the last layer's optional.
 */
import * as tfl from '@tensorflow/tfjs-layers';

export interface SmallModelOptions {
  /** Random (instead of zero) bias on the last dense layer. */
  finalBias?: boolean;
}

export function smallCnn(seed: number, options: SmallModelOptions & { secondConv?: boolean; dropout?: boolean } = {}): tfl.Sequential {
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: init(), biasInitializer: 'glorotUniform' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  if (options.secondConv) m.add(tfl.layers.conv2d({ filters: 4, kernelSize: 2, strides: 1, activation: 'relu', kernelInitializer: init(), biasInitializer: 'glorotUniform' }));
  m.add(tfl.layers.flatten());
  if (options.dropout) m.add(tfl.layers.dropout({ rate: 0.3 }));
  m.add(tfl.layers.dense({ units: 6, activation: 'relu', kernelInitializer: init(), biasInitializer: 'glorotUniform' }));
  m.add(tfl.layers.dense({ units: 4, kernelInitializer: init(), ...(options.finalBias ? { biasInitializer: 'glorotUniform' as const } : {}) }));
  return m;
}

export function smallMlp(seed: number, options: SmallModelOptions & { hidden?: number[] } = {}): tfl.Sequential {
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [4, 4, 1] }));
  for (const units of options.hidden ?? [8]) m.add(tfl.layers.dense({ units, activation: 'relu', kernelInitializer: init(), biasInitializer: 'glorotUniform' }));
  m.add(tfl.layers.dense({ units: 3, kernelInitializer: init(), ...(options.finalBias ? { biasInitializer: 'glorotUniform' as const } : {}) }));
  return m;
}
