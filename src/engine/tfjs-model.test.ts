import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from './tf.js';
import { setupBackend } from './backend.js';
import { folderSaveHandler } from './tfjs-io.js';
import { loadTfjsModel, TfjsModel } from './tfjs-model.js';
import { RampartError } from '../errors.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { createRandom } from './random.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

function tinyCnn(softmax: boolean): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 4, activation: softmax ? 'softmax' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

async function saveToTemp(model: tfl.LayersModel): Promise<string> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-tfjs-'));
  await model.save(folderSaveHandler(folder));
  return path.join(folder, 'model.json');
}

function randomInput(n: number): tf.Tensor4D {
  const r = createRandom(3);
  return tf.tensor4d(Float32Array.from({ length: n * 36 }, () => r.next()), [n, 6, 6, 1]);
}

describe('TF.js adapter', () => {
  it('round-trips a model folder and strips a final softmax to expose logits', async () => {
    const original = tinyCnn(true);
    const file = await saveToTemp(original);
    const model = await loadTfjsModel(file);
    expect(model.outputWasSoftmax).toBe(true);
    expect(model.inputShape).toEqual([6, 6, 1]);
    expect(model.numClasses).toBe(4);
    const x = randomInput(5);
    const logits = await model.logits(x);
    const probabilities = original.predict(x) as tf.Tensor;
    // softmax of the loaded logits equals the original model's probabilities
    const fromLogits = tf.softmax(logits);
    expect(tf.max(tf.abs(tf.sub(fromLogits, probabilities))).dataSync()[0]).toBeLessThan(1e-6);
    // and they really are logits, not probabilities
    expect(tf.sum(logits, 1).arraySync().some((s) => Math.abs((s as number) - 1) > 1e-3)).toBe(true);
    tf.dispose([x, logits, probabilities, fromLogits]);
    model.dispose();
    original.dispose();
  });

  it('input gradients match central finite differences (cross-entropy and cw-margin)', async () => {
    const model = TfjsModel.fromLayersModel(tinyCnn(false));
    const x = randomInput(2);
    const labels = tf.tensor1d([1, 3], 'int32');
    for (const loss of ['cross-entropy', 'cw-margin'] as const) {
      const { gradient, loss: perSample, logits } = model.lossAndGradientSync(x, labels, loss);
      expect(perSample.shape).toEqual([2]);
      expect(logits.shape).toEqual([2, 4]);
      const g = gradient.dataSync();
      const base = x.dataSync();
      const h = 1e-2;
      for (const index of [0, 7, 14, 20, 36 + 9, 36 + 28]) {
        const plus = Float32Array.from(base);
        const minus = Float32Array.from(base);
        plus[index] += h;
        minus[index] -= h;
        const total = (values: Float32Array) =>
          tf.tidy(() => {
            const input = tf.tensor4d(values, [2, 6, 6, 1]);
            const out = model.lossAndGradientSync(input, labels, loss);
            return tf.sum(out.loss).dataSync()[0];
          });
        const numeric = (total(plus) - total(minus)) / (2 * h);
        expect(Math.abs(numeric - g[index])).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
      }
      tf.dispose([gradient, perSample, logits]);
    }
    tf.dispose([x, labels]);
    model.dispose();
  });

  it('logits and gradients leak no tensors', async () => {
    const model = TfjsModel.fromLayersModel(tinyCnn(false));
    const x = randomInput(3);
    const labels = tf.tensor1d([0, 1, 2], 'int32');
    await expectNoLeaks(async () => {
      for (let i = 0; i < 3; i++) {
        const logits = await model.logits(x);
        const result = await model.lossAndGradient(x, labels, 'dlr');
        tf.dispose([logits, result.gradient, result.loss, result.logits]);
      }
    });
    tf.dispose([x, labels]);
    model.dispose();
  });

  it('rejects data of the wrong shape with a clear error', async () => {
    const model = TfjsModel.fromLayersModel(tinyCnn(false));
    const x = tf.zeros([1, 5, 5, 1]);
    await expect(model.logits(x)).rejects.toThrow(/expects samples of shape \[6, 6, 1\] but got \[5, 5, 1\]/);
    x.dispose();
    model.dispose();
  });

  it('reports corrupt, truncated and missing model files', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-bad-'));
    const notJson = path.join(folder, 'model.json');
    fs.writeFileSync(notJson, '{"modelTopology": ');
    await expect(loadTfjsModel(notJson)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    fs.writeFileSync(notJson, '{"hello": 1}');
    await expect(loadTfjsModel(notJson)).rejects.toThrow(/not a TF.js model.json/);
    const good = await saveToTemp(tinyCnn(false));
    const weights = path.join(path.dirname(good), 'weights.bin');
    fs.writeFileSync(weights, fs.readFileSync(weights).subarray(0, 20));
    await expect(loadTfjsModel(good)).rejects.toThrow(/truncated/);
    fs.rmSync(weights);
    await expect(loadTfjsModel(good)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(loadTfjsModel(path.join(folder, 'nope.json'))).rejects.toBeInstanceOf(RampartError);
  });
});
