/**
 * Reference architectures: the MLP on 1-D (tabular) samples has no Flatten; seeded dropout draws a fresh mask per
 * training call from (seed, call), is the identity at inference, serialises as a plain Dropout (saves, loads and
 * exports to ONNX), and two training runs with one seed end with the same weights.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { folderSaveHandler } from '../engine/tfjs-io.js';
import { exportToOnnx } from '../engine/export-onnx.js';
import { loadModel } from '../engine/load.js';
import type { LoadedData } from '../data/load-all.js';
import { buildArchitecture, SeededDropout } from './architectures.js';
import { hardenClassifier } from './loop.js';

beforeAll(async () => {
  await setupBackend();
});

function data(count: number, features: number, seed: number): LoadedData {
  const random = createRandom(seed);
  const y = Int32Array.from({ length: count }, (_, i) => i % 3);
  const x = Float32Array.from({ length: count * features }, (_, j) => Math.min(1, Math.max(0, 0.5 + (j % features === y[Math.floor(j / features)] ? 0.3 : 0) + 0.1 * random.normal())));
  return { x, y, count, sampleShape: [features] };
}

describe('hidden widths', () => {
  const denseUnits = (m: ReturnType<typeof buildArchitecture>) =>
    m.layers.filter((l) => l.getClassName() === 'Dense').map((l) => (l.getConfig() as { units: number }).units);
  it('defaults to the reference widths and takes any list', () => {
    expect(denseUnits(buildArchitecture('mlp', [28, 28, 1], 10, 1))).toEqual([256, 256, 10]);
    expect(denseUnits(buildArchitecture('cnn', [28, 28, 1], 10, 1))).toEqual([128, 10]);
    expect(denseUnits(buildArchitecture('mlp', [28, 28, 1], 10, 1, { hidden: [1024, 512, 64] }))).toEqual([1024, 512, 64, 10]);
    expect(denseUnits(buildArchitecture('mlp', [7], 2, 1, { hidden: [16] }))).toEqual([16, 2]);
    expect(denseUnits(buildArchitecture('cnn', [28, 28, 1], 10, 1, { hidden: [] }))).toEqual([10]);
  });
  it('rejects widths that are not positive integers, naming the flag', () => {
    expect(() => buildArchitecture('mlp', [28, 28, 1], 10, 1, { hidden: [256, 0] })).toThrow(/--hidden/);
    expect(() => buildArchitecture('mlp', [28, 28, 1], 10, 1, { hidden: [] })).toThrow(/at least one hidden layer/);
  });
});

describe('mlp on 1-D samples', () => {
  it('starts with Dense (Flatten rejects rank-2 batches) and trains', async () => {
    const model = buildArchitecture('mlp', [5], 3, 1);
    expect(model.layers[0].getClassName()).toBe('Dense');
    expect(model.layers.some((l) => l.getClassName() === 'Flatten')).toBe(false);
    expect(buildArchitecture('mlp', [4, 4, 1], 3, 1).layers[0].getClassName()).toBe('Flatten');
    const train = data(60, 5, 2);
    const r = await hardenClassifier({ layersModel: model }, train, train, { epochs: 3, batchSize: 20, learningRate: 0.05, select: 'last', evaluation: { robustSamples: 0 } });
    expect(r.history[2].cleanAccuracy).toBeGreaterThan(0.6);
    await r.engine.release();
  });
});

describe('seeded dropout', () => {
  it('a new mask per training call, kept units scaled by 1/(1 − rate), identity at inference', () => {
    const layer = new SeededDropout({ rate: 0.25, seed: 3 });
    const x = tf.ones([50, 40]);
    const a = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
    const b = (layer.apply(x, { training: true }) as tf.Tensor).dataSync();
    const zerosA = a.filter((v) => v === 0).length / a.length;
    expect(zerosA).toBeGreaterThan(0.2);
    expect(zerosA).toBeLessThan(0.3);
    expect(a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    let differ = 0;
    for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (b[i] === 0)) differ++;
    expect(differ).toBeGreaterThan(100);
    // a fresh layer with the same seed repeats the same sequence of masks
    const again = new SeededDropout({ rate: 0.25, seed: 3 });
    expect([...(again.apply(x, { training: true }) as tf.Tensor).dataSync()]).toEqual([...a]);
    expect([...(again.apply(x, { training: true }) as tf.Tensor).dataSync()]).toEqual([...b]);
    expect([...(layer.apply(x, { training: false }) as tf.Tensor).dataSync()]).toEqual([...x.dataSync()]);
  });

  it('same seed → same weights after 2 training steps (tfjs engine); another seed differs', async () => {
    const train = data(64, 6, 5);
    const weightsAfter = async (seed: number) => {
      const model = buildArchitecture('mlp', [6], 3, seed, { dropout: 0.5 });
      expect(model.layers.filter((l) => l instanceof SeededDropout)).toHaveLength(2);
      const r = await hardenClassifier({ layersModel: model }, train, train, { epochs: 1, batchSize: 32, learningRate: 0.05, seed, select: 'last', evaluation: { robustSamples: 0 } });
      expect(r.engine.kind).toBe('tfjs');
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      await r.engine.release();
      model.dispose();
      return values;
    };
    const first = await weightsAfter(7);
    const second = await weightsAfter(7);
    expect(second).toEqual(first);
    // same initial weights and batches, other masks: only the dropout seed differs
    const model = buildArchitecture('mlp', [6], 3, 7, { dropout: 0.5 });
    (model.layers.filter((l) => l instanceof SeededDropout) as SeededDropout[]).forEach((l) => ((l as unknown as { seed: number }).seed += 1));
    const r = await hardenClassifier({ layersModel: model }, train, train, { epochs: 1, batchSize: 32, learningRate: 0.05, seed: 7, select: 'last', evaluation: { robustSamples: 0 } });
    await r.engine.release();
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(first);
  });

  it('saves as a plain Dropout layer, loads back, and exports to ONNX as the identity', async () => {
    const model = buildArchitecture('cnn', [12, 12, 1], 3, 2, { dropout: 0.3 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-dropout-'));
    try {
      await model.save(folderSaveHandler(dir));
      const layers = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).modelTopology.config.layers as { class_name: string; config: { rate?: number; seed?: number } }[];
      const dropouts = layers.filter((l) => l.class_name === 'Dropout');
      expect(dropouts.map((l) => l.config.rate)).toEqual([0.3, 0.3]);
      expect(dropouts.every((l) => Number.isInteger(l.config.seed))).toBe(true);
      const loaded = await loadModel(dir);
      const x = tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 1);
      const a = (model.predict(x) as tf.Tensor).dataSync();
      const b = (await loaded.logits(x)).dataSync();
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
      expect(exportToOnnx(model).length).toBeGreaterThan(1000);
      loaded.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
