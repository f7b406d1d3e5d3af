import { describe, it, expect, beforeAll } from 'vitest';
import { setupBackend } from '../../engine/backend.js';
import { loadModel } from '../../engine/load.js';
import { openDataset } from '../../data/index.js';
import { binaryLinearModel } from '../../../test/helpers/linear-models.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';
import { arrayDataset } from '../memory-dataset.js';
import { featureSensitivity } from './feature.js';
import { parameterVariability } from './parameters.js';

beforeAll(async () => {
  await setupBackend();
});

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('feature sensitivity', () => {
  it('matches hand-computed values on a linear model (logits 0 and w·x + b)', async () => {
    // w = [4, 0, -1], b = -1.5: feature 1 is irrelevant, feature 0 matters most
    const model = binaryLinearModel([4, 0, -1], -1.5, { bounds: [0, 1] });
    const x = Float32Array.of(0.6, 0.5, 0.5, 0.2, 0.9, 0.1);
    const y = Int32Array.of(1, 0);
    const data = arrayDataset(x, y, [3], 2);
    const result = await expectNoLeaks(() => featureSensitivity({ model, data, amount: 0.1, names: ['a', 'b', 'c'] }));
    model.dispose();
    // p(true class) for class 1 = σ(z), for class 0 = 1 − σ(z)
    const pTrue = (row: number[], label: number) => {
      const z = 4 * row[0] - row[2] - 1.5;
      return label === 1 ? sigmoid(z) : 1 - sigmoid(z);
    };
    const rows = [[0.6, 0.5, 0.5], [0.2, 0.9, 0.1]];
    const expected = [0, 1, 2].map((j) => {
      let variance = 0;
      let change = 0;
      let correct = 0;
      rows.forEach((row, i) => {
        const values = [pTrue(row, y[i])];
        for (const s of [1, -1]) {
          const v = [...row];
          v[j] = Math.min(1, Math.max(0, v[j] + s * 0.1));
          const p = pTrue(v, y[i]);
          values.push(p);
          change += Math.abs(p - values[0]);
          if (p > 0.5) correct++;
        }
        const mean = values.reduce((a, b) => a + b, 0) / 3;
        variance += values.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
      });
      return { variance: variance / 2, change: change / 4, accuracy: correct / 4 };
    });
    expect(result.cleanAccuracy).toBe(1);
    for (let j = 0; j < 3; j++) {
      expect(result.units[j].outputVariance).toBeCloseTo(expected[j].variance, 6);
      expect(result.units[j].meanProbabilityChange).toBeCloseTo(expected[j].change, 6);
      expect(result.units[j].accuracyDrop).toBeCloseTo(1 - expected[j].accuracy, 9);
    }
    expect(result.units[1].outputVariance).toBe(0);
    expect(result.ranking.map((u) => u.name)[0]).toBe('a');
    expect(result.ranking[2].name).toBe('b');
  });

  it('occlusion on mnist-cnn: a 7×7 heatmap; blank corner patches change nothing', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    try {
      const data = await openDataset('mnist:test', { limit: 8 });
      const result = await featureSensitivity({ model, data, mode: 'occlusion', patch: 4 });
      expect(result.heatmap?.rows).toBe(7);
      expect(result.heatmap?.cols).toBe(7);
      expect(result.units).toHaveLength(49);
      expect(result.heatmap?.outputVariance[0][0]).toBe(0);
      expect(result.heatmap?.accuracyDrop[0][0]).toBe(0);
      // the most sensitive patches lie in the middle of the digit area
      const top = result.ranking[0];
      const row = Math.floor(top.unit / 7);
      const col = top.unit % 7;
      expect(row).toBeGreaterThanOrEqual(1);
      expect(row).toBeLessThanOrEqual(5);
      expect(col).toBeGreaterThanOrEqual(1);
      expect(col).toBeLessThanOrEqual(5);
      await expect(featureSensitivity({ model, data, mode: 'occlusion', patch: 40 })).rejects.toThrow(/does not fit/);
    } finally {
      model.dispose();
    }
  });
});

describe('parameter variability', () => {
  it('retrains on bootstrap resamples of the breast-cancer data and reports consistent dispersion', async () => {
    const train = await openDataset('csv:examples/tabular/breast-cancer-train.csv');
    const test = await openDataset('csv:examples/tabular/breast-cancer-test.csv');
    const options = { train, evaluation: test, runs: 3, training: { epochs: 5, batchSize: 32, seed: 2 }, seed: 7 } as const;
    const result = await parameterVariability(options);
    expect(result.runs).toBe(3);
    expect(result.metrics.perRun).toHaveLength(3);
    expect(result.metrics.accuracy.mean).toBeGreaterThan(0.8);
    expect(result.metrics.accuracy.min).toBeLessThanOrEqual(result.metrics.accuracy.mean);
    expect(result.metrics.accuracy.max).toBeGreaterThanOrEqual(result.metrics.accuracy.mean);
    expect(result.predictions.meanPairwiseFlipRate).toBeLessThanOrEqual(result.predictions.maxPairwiseFlipRate);
    expect(result.predictions.maxPairwiseFlipRate).toBeLessThanOrEqual(result.predictions.unstableFraction);
    expect(result.weights).toHaveLength(3);
    expect(result.weights.every((w) => w.relativeStd > 0)).toBe(true);
    // same seeds, same numbers
    const again = await parameterVariability({ ...options, runs: 2 });
    const twice = await parameterVariability({ ...options, runs: 2 });
    expect(twice.metrics.perRun).toEqual(again.metrics.perRun);
    expect(again.predictions.meanPairwiseFlipRate).toBe(again.predictions.unstableFraction);
  });
});
