import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { flipProbability, perturbationStability, sequenceFrame, warp } from './stability.js';

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
      expect(result.sequences).toHaveLength(6);
      for (const s of result.sequences) expect(s.flipProbability).toBeLessThan(0.2);
      expect(result.meanFlipProbability).toBeGreaterThan(0);
    } finally {
      model.dispose();
      baseline.dispose();
    }
  }, 60_000);
});
