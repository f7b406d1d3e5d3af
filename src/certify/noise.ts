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

// Ziggurat tables (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random Variables", J. Stat.
// Softw. 5(8)): 128 layers of equal area V under exp(−x²/2), the base layer holding the tail beyond R. The
// uniform within a layer comes from the high 24 bits of a 32-bit draw, the layer from the low 7 bits and the sign
// from bit 7, so no bit serves two purposes (Doornik 2005's remark on the original).
const ZIGGURAT_R = 3.442619855899;
const ZIGGURAT_V = 9.91256303526217e-3;
const SCALE = 2 ** 24;
const kn = new Float64Array(128);
const wn = new Float64Array(128);
const fn = new Float64Array(128);
{
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = ZIGGURAT_V / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * SCALE);
  kn[1] = 0;
  wn[0] = q / SCALE;
  wn[127] = dn / SCALE;
  fn[0] = 1;
  fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIGGURAT_V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * SCALE);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / SCALE;
  }
}

/**
 * Writes `x + sigma · N(0, 1)` (elementwise) into `out` (which may be `x` itself) and returns `out`.
 * Takes one 32-bit seed from `random` and draws the block from a local mulberry32 stream (the generator of
 * src/engine/random.ts, inlined) through the ziggurat above: smoothing draws ~10⁸ normals per input at
 * n = 100,000, and the ziggurat needs one 32-bit draw and one multiply for ~99% of them (no log, no trigonometry).
 */
export function addGaussianNoise(x: Float32Array, sigma: number, random: Random, out: Float32Array = new Float32Array(x.length)): Float32Array {
  if (out.length < x.length) throw new RampartError('INTERNAL', `addGaussianNoise: output holds ${out.length} values, need ${x.length}.`);
  let state = Math.floor(random.next() * 4294967296) >>> 0;
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  // Uniform in (0, 1]: safe under log.
  const uniform = (): number => (nextUint32() + 1) / 4294967296;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    let z: number;
    for (;;) {
      const u = nextUint32();
      const layer = u & 127;
      const magnitude = u >>> 8;
      const value = magnitude * wn[layer];
      if (magnitude < kn[layer]) {
        z = u & 128 ? -value : value;
        break;
      }
      if (layer === 0) {
        // The tail beyond R (Marsaglia 1964): exponential proposals accepted by a second exponential.
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(uniform()) / ZIGGURAT_R;
          ty = -Math.log(uniform());
        } while (ty + ty < tx * tx);
        z = u & 128 ? -(ZIGGURAT_R + tx) : ZIGGURAT_R + tx;
        break;
      }
      // The wedge between the layer's rectangle and the curve.
      if (fn[layer] + uniform() * (fn[layer - 1] - fn[layer]) < Math.exp(-0.5 * value * value)) {
        z = u & 128 ? -value : value;
        break;
      }
    }
    out[i] = x[i] + sigma * z;
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
