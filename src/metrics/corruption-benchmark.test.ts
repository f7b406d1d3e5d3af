import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { loadModel } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { corruptionRegistry } from '../corruptions/index.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { corruptAll, corruptionBenchmark, type BenchmarkCorruption } from './corruption-benchmark.js';

beforeAll(async () => {
  await setupBackend({});
});

const dim: BenchmarkCorruption = {
  id: 'dim',
  family: 'digital',
  graded: true,
  apply: (image, _shape, severity) => image.map((v) => v * (1 - 0.2 * severity)),
};
const identity: BenchmarkCorruption = { id: 'identity', family: 'identity', graded: false, apply: (image) => image.slice() };

describe('corruption benchmark', () => {
  it('matches hand-computed error, CE, relative CE and robustness score', async () => {
    // 8×8 images: two at 0.9 (class 1), two at 0.1 (class 0). The model says class 1 when the mean pixel > 0.5,
    // the baseline when > 0.25. Dimming by 1 − 0.2 s leaves bright images at 0.72, 0.54, 0.36, 0.18, 0:
    // model errors 0, 0, ½, ½, ½ (Σ 1.5), baseline 0, 0, 0, ½, ½ (Σ 1) → CE = 1.5, relative CE = 1.5,
    // robustness = mean accuracy 0.7 / clean 1.
    const ones = new Array<number>(64).fill(1);
    const zeros = new Array<number>(64).fill(0);
    const model = multinomialLinearModel([zeros, ones], [0, -32], { inputShape: [8, 8, 1] });
    const baseline = multinomialLinearModel([zeros, ones], [0, -16], { inputShape: [8, 8, 1] });
    const x = new Float32Array(4 * 64);
    x.fill(0.9, 0, 128);
    x.fill(0.1, 128);
    const data = { x, y: Int32Array.from([1, 1, 0, 0]), count: 4, sampleShape: [8, 8, 1] };
    const result = await expectNoLeaks(() => corruptionBenchmark(model, data, [identity, dim], { baseline, suite: 'common' }));
    expect(result.clean).toEqual({ accuracy: 1, error: 0, baselineError: 0 });
    const dimmed = result.corruptions[1];
    expect(dimmed.severities.map((s) => s.error)).toEqual([0, 0, 0.5, 0.5, 0.5]);
    expect(dimmed.severities.map((s) => s.baselineError)).toEqual([0, 0, 0, 0.5, 0.5]);
    expect(dimmed.ce).toBeCloseTo(1.5, 12);
    expect(dimmed.relativeCe).toBeCloseTo(1.5, 12);
    expect(dimmed.robustnessScore).toBeCloseTo(0.7, 12);
    // identity is ungraded (one severity) and left out of the means.
    expect(result.corruptions[0].severities).toHaveLength(1);
    expect(result.mCE).toBeCloseTo(1.5, 12);
    expect(result.meanError).toBeCloseTo(0.3, 12);
    expect(result.families).toEqual([{ family: 'digital', meanError: expect.closeTo(0.3, 12) as unknown as number, corruptions: ['dim'] }]);
    // Without a baseline, CE fields are null; explicit severities are honoured.
    const plain = await corruptionBenchmark(model, data, [dim], { severities: [3] });
    expect(plain.mCE).toBeNull();
    expect(plain.corruptions[0].severities).toEqual([{ severity: 3, accuracy: 0.5, error: 0.5, baselineError: null }]);
    await expect(corruptionBenchmark(model, data, [dim], { severities: [6] })).rejects.toThrowError(/Severity must be an integer 1..5/);
    model.dispose();
    baseline.dispose();
  });

  it('corrupts deterministically per seed and rejects non-image data', () => {
    const noisy: BenchmarkCorruption = { id: 'n', family: 'noise', graded: true, apply: (image, _s, _v, random) => image.map((v) => v + random.next()) };
    const data = { x: new Float32Array(2 * 64), y: Int32Array.from([0, 0]), count: 2, sampleShape: [8, 8, 1] };
    expect(corruptAll(noisy, data, 1, 0)).toEqual(corruptAll(noisy, data, 1, 0));
    expect(corruptAll(noisy, data, 1, 0)).not.toEqual(corruptAll(noisy, data, 1, 1));
    expect(() => corruptAll(noisy, { ...data, sampleShape: [64] }, 1, 0)).toThrowError(/image data/);
  });

  it('builtin:mnist-cnn on the MNIST-C suite (150 test digits, loose bounds)', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    const baseline = await loadModel('builtin:mnist-mlp');
    try {
      const data = await loadAll(await openDataset('mnist:test', { limit: 150 }));
      const suite = corruptionRegistry.listBySuite('mnist-c');
      const result = await expectNoLeaks(() => corruptionBenchmark(model, data, suite, { suite: 'mnist-c', baseline }));
      console.log(
        ['clean ' + (result.clean.error * 100).toFixed(1) + '%', ...result.corruptions.map((c) => `${c.id} ${(c.meanError * 100).toFixed(1)}% CE ${c.ce?.toFixed(2)}`)].join('\n'),
        '\nmCE',
        result.mCE,
        'relative',
        result.relativeMCE,
      );
      expect(result.clean.error).toBeLessThan(0.05);
      expect(result.corruptions.length).toBe(suite.length);
      const above10 = result.corruptions.filter((c) => c.meanError > 0.1).length;
      // The full MNIST-C suite (15 corruptions) leaves several above 10% error; with fewer registered, at least one.
      expect(above10).toBeGreaterThanOrEqual(suite.length >= 15 ? 3 : 1);
    } finally {
      model.dispose();
      baseline.dispose();
    }
  }, 60_000);
});
