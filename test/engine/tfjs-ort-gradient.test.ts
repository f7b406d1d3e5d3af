/** Loaded TF.js models take ONNX Runtime gradients; they equal the tfjs gradients for every loss. */
import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { setupBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/engine/load.js';
import { TfjsModel } from '../../src/engine/tfjs-model.js';
import { openDataset, loadAll } from '../../src/data/index.js';
import { lossNames } from '../../src/engine/losses.js';
import { expectNoLeaks } from '../helpers/leaks.js';

beforeAll(async () => {
  await setupBackend();
});

describe('TF.js models on the ONNX Runtime gradient path', () => {
  it('builtin:mnist-cnn: ORT gradients equal tfjs gradients for every loss, without leaks', async () => {
    const model = (await loadModel('builtin:mnist-cnn')) as TfjsModel;
    expect(await model.gradientEngine()).toEqual({ engine: 'onnxruntime' });
    const data = await loadAll(await openDataset('mnist:test', { limit: 8 }));
    const x = tf.tensor(data.x, [data.count, 28, 28, 1]);
    const labels = tf.tensor1d(data.y, 'int32');
    const targets = tf.tensor1d(Array.from(data.y, (y) => (y + 3) % 10), 'int32');
    await expectNoLeaks(async () => {
      for (const loss of lossNames) {
        const fast = await model.lossAndGradient(x, labels, loss, targets);
        const reference = model.lossAndGradientSync(x, labels, loss, targets);
        const scale = tf.tidy(() => tf.max(tf.abs(reference.gradient)).dataSync()[0]);
        expect(scale).toBeGreaterThan(0);
        const gradientError = tf.tidy(() => tf.max(tf.abs(tf.sub(fast.gradient, reference.gradient))).dataSync()[0]);
        expect(gradientError / scale, loss).toBeLessThan(1e-3);
        const lossError = tf.tidy(() => tf.max(tf.abs(tf.sub(fast.loss, reference.loss))).dataSync()[0]);
        expect(lossError, loss).toBeLessThan(1e-3);
        tf.dispose([fast.gradient, fast.loss, fast.logits, reference.gradient, reference.loss, reference.logits]);
      }
    });
    tf.dispose([x, labels, targets]);
    model.dispose();
  });

  it('in-memory models keep tfjs gradients; --gradients tfjs is honoured', async () => {
    const loaded = (await loadModel('builtin:mnist-mlp', { gradients: 'tfjs' })) as TfjsModel;
    expect((await loaded.gradientEngine()).engine).toBe('tfjs');
    const inMemory = TfjsModel.fromLayersModel(loaded.layersModel!);
    expect((await inMemory.gradientEngine()).engine).toBe('tfjs');
    loaded.dispose();
  });
});
