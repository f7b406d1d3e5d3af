/**
 * Gaussian noise for randomized smoothing: the noise CERTIFY draws, and the training-time augmentation that makes
 * a base classifier good under that noise (Cohen, Rosenfeld & Kolter 2019, https://arxiv.org/abs/1902.02918,
 * Section 4: "we trained the base classifier with Gaussian data augmentation at variance σ²"). As in the paper,
 * noisy inputs are not clipped to the input bounds (the smoothed classifier is defined on unclipped x + δ).
 *
 * Deterministic: every draw comes from a seeded generator (src/engine/random.ts).
 *
 * @example
 * const augment = gaussianNoiseAugmentation({ sigma: 0.25, seed: 1 });
 * const noisy = augment({ x: batchImages, y: batchLabels }); // same labels, x + N(0, 0.25²) per value
 */
import { z } from 'zod';
import { createRandom, type Random } from '../engine/random.js';
import { RampartError } from '../errors.js';

/**
 * Writes `x + sigma · N(0, 1)` (elementwise) into `out` (which may be `x` itself) and returns `out`.
 * Takes one 32-bit seed from `random` and draws the block from a local mulberry32 stream (the generator of
 * src/engine/random.ts, inlined: the hot loop of smoothing draws ~10⁸ normals per sample at n = 100,000), with
 * Marsaglia's polar method (no trigonometry; both normals of each accepted pair are used).
 */
export function addGaussianNoise(x: Float32Array, sigma: number, random: Random, out: Float32Array = new Float32Array(x.length)): Float32Array {
  if (out.length < x.length) throw new RampartError('INTERNAL', `addGaussianNoise: output holds ${out.length} values, need ${x.length}.`);
  let state = Math.floor(random.next() * 4294967296) >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = x.length;
  for (let i = 0; i < n; i += 2) {
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = sigma * Math.sqrt((-2 * Math.log(s)) / s);
    out[i] = x[i] + m * u;
    if (i + 1 < n) out[i + 1] = x[i + 1] + m * v;
  }
  return out;
}

/** Fills `out[k·size + j] = x[j] + sigma · N(0, 1)` for `count` copies of the sample `x` (size = x.length). */
export function fillNoisyCopies(x: Float32Array, count: number, sigma: number, random: Random, out: Float32Array): Float32Array {
  const size = x.length;
  for (let k = 0; k < count; k++) addGaussianNoise(x, sigma, random, out.subarray(k * size, (k + 1) * size));
  return out;
}

export const gaussianNoiseAugmentationSchema = z.object({
  /** Noise standard deviation, in input units (inputs in [0, 1]: σ = 0.25 is Cohen et al.'s middle setting). */
  sigma: z.number().min(0).max(100),
  /** Seed of the noise stream; the k-th call of the transform draws the k-th block of that stream. */
  seed: z.number().int().min(0).default(0),
  /** Fraction of the samples in each batch that receive noise (1 = all, as in Cohen et al.). */
  fraction: z.number().min(0).max(1).default(1),
});
export type GaussianNoiseAugmentationOptions = z.input<typeof gaussianNoiseAugmentationSchema>;

/** A training batch on the host, as the training loop assembles it: samples row-major, labels. */
export interface HostBatch {
  x: Float32Array;
  y: Int32Array;
}

/** Maps a training batch to the batch the optimiser sees. Must not modify its input. */
export type BatchTransform = (batch: HostBatch) => HostBatch;

/**
 * The Gaussian-noise training hook: a batch transform adding N(0, σ²) noise to every input value (of a `fraction`
 * of the samples), labels unchanged. The input batch is left untouched (a new `x` is returned). The returned
 * function carries its generator, so successive batches get fresh noise and a given seed replays the same run.
 */
export function gaussianNoiseAugmentation(options: GaussianNoiseAugmentationOptions): BatchTransform {
  const parsed = gaussianNoiseAugmentationSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError(
      'BAD_OPTION',
      `gaussianNoiseAugmentation: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}. Give e.g. { sigma: 0.25, seed: 0 }.`,
      { issues: parsed.error.issues },
    );
  }
  const { sigma, seed, fraction } = parsed.data;
  const random = createRandom(seed);
  return ({ x, y }) => {
    if (y.length === 0 || x.length % y.length !== 0) {
      throw new RampartError('BAD_OPTION', `gaussianNoiseAugmentation: ${x.length} input values do not split into ${y.length} samples.`);
    }
    const size = x.length / y.length;
    const out = Float32Array.from(x);
    for (let s = 0; s < y.length; s++) {
      if (fraction < 1 && random.next() >= fraction) continue;
      const row = out.subarray(s * size, (s + 1) * size);
      addGaussianNoise(row, sigma, random, row);
    }
    return { x: out, y: Int32Array.from(y) };
  };
}
