import { describe, expect, it } from 'vitest';
import { createRandom } from '../engine/random.js';
import { addGaussianNoise, gaussianNoiseAugmentation } from './noise.js';

function moments(values: ArrayLike<number>): { mean: number; sd: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, sd: Math.sqrt(sq / values.length) };
}

describe('Gaussian noise', () => {
  it('addGaussianNoise draws N(0, σ²): mean, sd and the ±1σ mass of 200,000 draws', () => {
    const x = new Float32Array(200_001).fill(0.5);
    const noisy = addGaussianNoise(x, 0.25, createRandom(1));
    const delta = noisy.map((v) => v - 0.5);
    const { mean, sd } = moments(delta);
    expect(Math.abs(mean)).toBeLessThan(5 * 0.25 / Math.sqrt(x.length));
    expect(Math.abs(sd - 0.25)).toBeLessThan(0.0025);
    const within = delta.filter((d) => Math.abs(d) < 0.25).length / delta.length;
    expect(Math.abs(within - 0.682689)).toBeLessThan(0.005);
  });

  it('the training hook: input untouched, labels kept, fresh noise per batch, replayable from the seed', () => {
    const batch = { x: new Float32Array(4 * 100).fill(0.3), y: Int32Array.from([0, 1, 2, 3]) };
    const augment = gaussianNoiseAugmentation({ sigma: 0.5, seed: 7 });
    const first = augment(batch);
    const second = augment(batch);
    expect(batch.x.every((v) => v === 0.3 || Math.abs(v - 0.3) < 1e-7)).toBe(true);
    expect([...first.y]).toEqual([0, 1, 2, 3]);
    expect(first.x).not.toEqual(second.x);
    expect(Math.abs(moments(first.x.map((v) => v - 0.3)).sd - 0.5)).toBeLessThan(0.06);
    const replay = gaussianNoiseAugmentation({ sigma: 0.5, seed: 7 });
    expect(replay(batch).x).toEqual(first.x);
    expect(replay(batch).x).toEqual(second.x);
  });

  it('fraction 0 leaves the batch as it is; bad options name the fix', () => {
    const batch = { x: Float32Array.from([0.1, 0.2, 0.3, 0.4]), y: Int32Array.from([1, 0]) };
    expect(gaussianNoiseAugmentation({ sigma: 1, fraction: 0 })(batch).x).toEqual(batch.x);
    expect(() => gaussianNoiseAugmentation({ sigma: -1 })).toThrow(/sigma/);
    expect(() => gaussianNoiseAugmentation({ sigma: 1 })({ x: new Float32Array(5), y: new Int32Array(2) })).toThrow(/do not split/);
  });
});

describe('the ziggurat normal sampler', () => {
  it('matches the standard normal CDF at ±0.5, ±1, ±2, ±3, ±3.6 (1,000,000 draws, 5-sd bands)', async () => {
    const { default: normalCdf } = await import('@stdlib/stats-base-dists-normal-cdf');
    const n = 1_000_000;
    const z = addGaussianNoise(new Float32Array(n), 1, createRandom(11));
    for (const t of [-3.6, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 3.6]) {
      const p = normalCdf(t, 0, 1);
      const below = z.filter((v) => v < t).length / n;
      expect(Math.abs(below - p), `P(z < ${t})`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-6);
    }
    const { mean, sd } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sd - 1)).toBeLessThan(0.005);
    // Draws beyond the ziggurat's base (R ≈ 3.44) come from the tail sampler: both signs, roughly 2·(1 − Φ(3.44)).
    const tail = z.filter((v) => Math.abs(v) > 3.442619855899);
    expect(tail.some((v) => v > 0) && tail.some((v) => v < 0)).toBe(true);
    expect(Math.abs(tail.length / n - 2 * (1 - normalCdf(3.442619855899, 0, 1)))).toBeLessThan(0.0002);
  });
});
