import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { flipProbability, meanTop5Distance, perturbationStability, sequenceFrame, top5Distance, warp } from './stability.js';

beforeAll(async () => {
  await setupBackend({});
});

describe('perturbation stability', () => {
  it('counts flips against the first or the previous frame by hand', () => {
    // One image, frames predicted 0 1 1 0: vs first → frames 2,3 differ (2/3); vs previous → 2 changes (2/3);
    // second image 0 0 1 1: vs first 2/3, vs previous 1/3.
    const p = Int32Array.from([0, 1, 1, 0, 0, 0, 1, 1]);
    expect(flipProbability(p, 2, 4, true)).toBeCloseTo(4 / 6, 12);
    expect(flipProbability(p, 2, 4, false)).toBeCloseTo(3 / 6, 12);
  });

  it('top-5 distance by hand (ImageNet-P definition)', () => {
    const identity = Int32Array.from({ length: 8 }, (_, c) => c);
    expect(top5Distance(identity, identity)).toBe(0);
    // ranks 1 and 2 swap: each of the two classes moves one place → 2
    expect(top5Distance(identity, Int32Array.from([1, 0, 2, 3, 4, 5, 6, 7]))).toBe(2);
    // the rank-5 class drops to rank 7: j runs over 6, 7 and only j − 1 = 5 counts → 1
    expect(top5Distance(identity, Int32Array.from([0, 1, 2, 3, 5, 6, 4, 7]))).toBe(1);
    // changes below the top 5 do not count
    expect(top5Distance(identity, Int32Array.from([0, 1, 2, 3, 4, 6, 5, 7]))).toBe(0);
    // from logits: one image, 3 frames of 6 classes; frame 2 swaps the two best classes
    const logits = Float32Array.from([6, 5, 4, 3, 2, 1, 6, 5, 4, 3, 2, 1, 5, 6, 4, 3, 2, 1]);
    expect(meanTop5Distance(logits, 6, 1, 3, false)).toBeCloseTo(1, 12); // (0 + 2) / 2
    expect(meanTop5Distance(logits, 6, 1, 3, true)).toBeCloseTo(1, 12);
  });

  it('zoom-blur frames start at the image and blur more along the sequence', () => {
    const image = Float32Array.from({ length: 100 }, (_, i) => ((i * 37) % 11) / 10);
    const change = (j: number) => sequenceFrame('zoom-blur', image, [10, 10, 1], j, createRandom(0)).reduce((a, v, i) => a + Math.abs(v - image[i]), 0);
    expect(change(0)).toBeLessThan(1e-5);
    expect(change(10)).toBeGreaterThan(change(2));
    expect(change(29)).toBeGreaterThan(change(10));
  });

  it('warps exactly for whole-pixel shifts and the identity', () => {
    const image = Float32Array.from({ length: 64 }, (_, i) => i / 64);
    expect(warp(image, [8, 8, 1], 0, 1, 0, 0)).toEqual(image);
    const shifted = warp(image, [8, 8, 1], 0, 1, 1, 0);
    expect(shifted[8 + 1]).toBeCloseTo(image[8], 6);
    expect(shifted[8]).toBe(0);
    const frame0 = sequenceFrame('rotate', image, [8, 8, 1], 0, createRandom(0));
    expect(Array.from(frame0)).toEqual(Array.from(image).map((v) => expect.closeTo(v, 6) as unknown as number));
  });

  it('builtin:mnist-cnn on 20 digits × 30 frames: stable but not immune (loose bounds), baseline mnist-mlp', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    const baseline = await loadModel('builtin:mnist-mlp');
    try {
      const data = await loadAll(await openDataset('mnist:test', { limit: 20 }));
      const result = await expectNoLeaks(() => perturbationStability(model, data, { baseline, seed: 1 }));
      console.log(result.sequences.map((s) => `${s.id} FP ${s.flipProbability.toFixed(4)} base ${s.baselineFlipProbability?.toFixed(4)} FR ${s.flipRate?.toFixed(2)}`).join('\n'), '\nmFR', result.mFR);
      expect(result.sequences).toHaveLength(7);
      for (const s of result.sequences) expect(s.flipProbability).toBeLessThan(0.2);
      for (const s of result.sequences) {
        expect(s.top5Distance).not.toBeNull();
        expect(s.top5Distance!).toBeGreaterThanOrEqual(0);
        expect(s.top5Distance!).toBeLessThan(5);
      }
      // top-5 rankings move more often than the top-1 class flips
      expect(Math.max(...result.sequences.map((s) => s.top5Distance!))).toBeGreaterThan(0);
      expect(result.meanFlipProbability).toBeGreaterThan(0);
    } finally {
      model.dispose();
      baseline.dispose();
    }
  }, 60_000);
});
