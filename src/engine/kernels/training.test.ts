/**
 * End-to-end checks of the wasm replacement kernels: the reference CNN's input and weight gradients on wasm
 * equal tfjs-backend-cpu's; a tfjs-layers CNN trained for two steps on wasm ends with the same weights as on cpu;
 * `setupBackend()` (default wasm) trains a Sequential CNN with Conv2D/MaxPooling2D/Dense/Dropout/
 * BatchNormalization without throwing; no tensors leak.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tf.js';
import { setupBackend } from '../backend.js';
import { loadBothBackends, maxRelativeDifference, runOn, seededFloats } from './testing.js';

beforeAll(async () => {
  await loadBothBackends();
});

const BATCH = 8;

function oneHotLabels(count: number): Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: count }, (_, i) => (i * 7) % 10), 'int32'), 10), 'float32')) as Tensor2D;
}

/** conv32-pool-conv64-pool-dense128-dense10 on 28×28×1, as in ENGINE.md, with seeded weights. */
function referenceCnnWeights(): Tensor[] {
  const shapes = [[3, 3, 1, 32], [32], [3, 3, 32, 64], [64], [1600, 128], [128], [128, 10], [10]];
  return shapes.map((shape, i) => {
    const size = shape.reduce((p, q) => p * q, 1);
    const fanIn = shape.length === 1 ? 10 : shape.slice(0, -1).reduce((p, q) => p * q, 1);
    const limit = Math.sqrt(6 / fanIn);
    return tf.tensor(seededFloats(100 + i, size, -limit, limit), shape);
  });
}

function referenceCnnLoss(x: Tensor4D, labels: Tensor2D, weights: Tensor[]): tf.Scalar {
  const [w1, b1, w2, b2, w3, b3, w4, b4] = weights as [Tensor4D, Tensor, Tensor4D, Tensor, Tensor2D, Tensor, Tensor2D, Tensor];
  const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, 'valid'), b1)), 2, 2, 'valid');
  const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, w2, 1, 'valid'), b2)), 2, 2, 'valid');
  const h3 = tf.relu(tf.add(tf.matMul(tf.reshape(h2, [x.shape[0], -1]), w3), b3));
  const logits = tf.add(tf.matMul(h3, w4), b4);
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

describe('reference CNN gradients', () => {
  it('input and weight gradients on wasm equal cpu', async () => {
    const program = () => {
      // ReLU'd images have many exact zeros, as MNIST does: the case stock wasm MaxPoolGrad gets wrong.
      const x = tf.relu(tf.tensor4d(seededFloats(1, BATCH * 28 * 28, -0.5, 1), [BATCH, 28, 28, 1]));
      const labels = oneHotLabels(BATCH);
      const weights = referenceCnnWeights();
      const gradients = tf.grads((input: Tensor, ...w: Tensor[]) => referenceCnnLoss(input as Tensor4D, labels, w))([x, ...weights]);
      return gradients;
    };
    const expected = await runOn('cpu', program);
    const actual = await runOn('wasm', program);
    const differences = expected.map((values, i) => maxRelativeDifference(actual[i], values));
    for (const difference of differences) expect(difference).toBeLessThan(1e-5);
    // The input gradient is not trivially zero (so the comparison means something).
    expect(expected[0].some((v) => v !== 0)).toBe(true);
  });

  it('leaks no tensors across repeated gradient steps on wasm', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(seededFloats(2, 4 * 28 * 28), [4, 28, 28, 1]);
    const labels = oneHotLabels(4);
    const weights = referenceCnnWeights();
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      tf.dispose(tf.grads((input: Tensor, ...w: Tensor[]) => referenceCnnLoss(input as Tensor4D, labels, w))([x, ...weights]));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, labels, ...weights]);
  });
});

function layersCnn(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 6, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tfl.layers.dense({ units: 10 }));
  return model;
}

describe('tfjs-layers training on wasm', () => {
  it('two SGD steps end with the same weights as on cpu', async () => {
    const train = async (backend: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = layersCnn();
      model.setWeights(
        model.getWeights().map((w, i) => {
          const size = w.size;
          const isVariance = w.shape.length === 1 && i > 0 && model.weights[i]?.name.includes('moving_variance');
          return tf.tensor(isVariance ? new Float32Array(size).fill(1) : seededFloats(200 + i, size, -0.3, 0.3), w.shape);
        }),
      );
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
      const x = tf.tensor4d(seededFloats(3, 2 * BATCH * 144, 0, 1), [2 * BATCH, 12, 12, 1]);
      const labels = oneHotLabels(2 * BATCH);
      const y = tf.softmax(tf.mul(labels, 3));
      labels.dispose();
      await model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
      const values = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      tf.dispose([x, y]);
      model.dispose();
      return values;
    };
    const expected = await train('cpu');
    const actual = await train('wasm');
    expect(actual.length).toBe(expected.length);
    expected.forEach((values, i) => expect(maxRelativeDifference(actual[i], values)).toBeLessThan(1e-4));
  });

  it('setupBackend() then a Sequential CNN with Dropout and BatchNormalization trains without throwing', async () => {
    await setupBackend();
    await tf.setBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const model = tfl.sequential();
    model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.batchNormalization());
    model.add(tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dropout({ rate: 0.25, seed: 3 }));
    model.add(tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }));
    model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }));
    const optimizer = tf.train.adam(1e-3);
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.tensor4d(seededFloats(4, 64 * 784, 0, 1), [64, 28, 28, 1]);
    const y = oneHotLabels(64);
    const history = await model.fit(x, y, { batchSize: 32, epochs: 2, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses).toHaveLength(2);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
