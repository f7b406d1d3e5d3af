/**
 * Perturbation stability in the style of ImageNet-P (Hendrycks & Dietterich 2019, "Benchmarking Neural Network
 * Robustness to Common Corruptions and Perturbations", https://arxiv.org/abs/1903.12261): each image becomes a
 * 30-frame sequence of slowly growing perturbation, and the flip probability measures how often the top-1
 * prediction changes along it.
 *
 * - Noise sequences (gaussian-noise, shot-noise): every frame is an independent noisy copy; a flip is a frame
 *   whose prediction differs from the first frame's: FP = 1/(m(n−1)) Σ_i Σ_{j=2..n} 1[f(x_ij) ≠ f(x_i1)].
 * - Other sequences (translate, rotate, scale, brightness): frame j is the image perturbed j steps; a flip is a
 *   change from the previous frame: FP = 1/(m(n−1)) Σ_i Σ_{j=2..n} 1[f(x_ij) ≠ f(x_i,j−1)].
 * - Flip rate FR = FP_model / FP_baseline, mFR = mean over sequence types whose baseline FP is not 0.
 * Sequences are generated here (not the ImageNet-P video files): translate 0.2 px per frame to the right,
 * rotate 0.5° per frame, scale −0.5% per frame (bilinear, zero padding), brightness +0.01 per frame, zoom blur
 * (mean of 6 bilinear zooms up to 1 + 0.01·j at frame j), gaussian noise σ = 0.08, shot noise with photon count 60
 * (Gaussian approximation).
 * - Top-5 distance (models with ≥ 5 classes), as ImageNet-P defines it: with τ(x) the ranking of the classes and
 *   σ = τ(x)⁻¹∘τ(x'), d = Σ_{i=1..5} Σ_{j=min(i,σ(i))+1..max(i,σ(i))} 1[1 ≤ j−1 ≤ 5], averaged over the same frame
 *   pairs as the flip probability; 0 when the top-5 list is unchanged.
 *
 * Knowledge: black-box (predictions only).
 *
 * @example
 * const result = await perturbationStability(model, data, { seed: 0, baseline });
 * console.log(result.sequences.map((s) => `${s.id} ${s.flipProbability}`), result.mFR);
 */
import type { Model } from '../engine/model.js';
import { createRandom, type Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { argmaxRows } from './accuracy.js';
import { collectLogits } from './calibration.js';
import type { BenchmarkData } from './corruption-benchmark.js';

export type SequenceName = 'translate' | 'rotate' | 'scale' | 'brightness' | 'zoom-blur' | 'gaussian-noise' | 'shot-noise';
export const sequenceNames: readonly SequenceName[] = ['translate', 'rotate', 'scale', 'brightness', 'zoom-blur', 'gaussian-noise', 'shot-noise'];
const noiseSequences: readonly SequenceName[] = ['gaussian-noise', 'shot-noise'];

/** Bilinear affine warp about the image centre: scale s, rotation θ (radians), translation (tx, ty) px. */
export function warp(image: Float32Array, shape: readonly number[], angle: number, scale: number, tx: number, ty: number): Float32Array {
  const [h, w, c] = shape;
  const out = new Float32Array(image.length);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse map: output pixel → source position.
      const dx = x - cx - tx;
      const dy = y - cy - ty;
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < c; ch++) {
        const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? image[(yy * w + xx) * c + ch] : 0);
        out[(y * w + x) * c + ch] =
          (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      }
    }
  }
  return out;
}

/** Frame `j` (0-based) of a sequence for one image. */
export function sequenceFrame(name: SequenceName, image: Float32Array, shape: readonly number[], j: number, random: Random): Float32Array {
  const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  switch (name) {
    case 'translate':
      return warp(image, shape, 0, 1, 0.2 * j, 0);
    case 'rotate':
      return warp(image, shape, (0.5 * j * Math.PI) / 180, 1, 0, 0);
    case 'scale':
      return warp(image, shape, 0, 1 - 0.005 * j, 0, 0);
    case 'brightness':
      return image.map((v) => clip(v + 0.01 * j));
    case 'zoom-blur': {
      // mean of the image zoomed by 1 + 0.01·j·k/5 for k = 0..5: the blur grows slowly along the sequence
      const out = new Float32Array(image.length);
      const zooms = 6;
      for (let k = 0; k < zooms; k++) {
        const zoomed = warp(image, shape, 0, 1 + (0.01 * j * k) / (zooms - 1), 0, 0);
        for (let i = 0; i < out.length; i++) out[i] += zoomed[i] / zooms;
      }
      return out;
    }
    case 'gaussian-noise':
      return image.map((v) => clip(v + 0.08 * random.normal()));
    case 'shot-noise':
      return image.map((v) => clip(v + Math.sqrt(Math.max(v, 0) / 60) * random.normal()));
    default:
      throw new RampartError('BAD_OPTION', `Unknown perturbation sequence "${String(name)}"; choose from ${sequenceNames.join(', ')}.`);
  }
}

/** Flip probability from predictions laid out [image][frame]. */
export function flipProbability(predictions: Int32Array, images: number, frames: number, againstFirst: boolean): number {
  let flips = 0;
  for (let i = 0; i < images; i++) {
    for (let j = 1; j < frames; j++) {
      const reference = predictions[i * frames + (againstFirst ? 0 : j - 1)];
      if (predictions[i * frames + j] !== reference) flips++;
    }
  }
  return images && frames > 1 ? flips / (images * (frames - 1)) : 0;
}

/** Classes of one row ordered by decreasing logit (ties: lower index first). */
function ranking(values: Float32Array, row: number, classes: number): Int32Array {
  const order = Int32Array.from({ length: classes }, (_, c) => c);
  const offset = row * classes;
  return order.sort((a, b) => values[offset + b] - values[offset + a] || a - b);
}

/** ImageNet-P top-5 distance between the rankings of two logit rows (0 when the ranked top 5 are unchanged). */
export function top5Distance(before: Int32Array, after: Int32Array): number {
  const rankAfter = new Int32Array(after.length);
  after.forEach((c, r) => (rankAfter[c] = r + 1));
  let distance = 0;
  for (let i = 1; i <= 5; i++) {
    const moved = rankAfter[before[i - 1]];
    const low = Math.min(i, moved);
    const high = Math.max(i, moved);
    for (let j = low + 1; j <= high; j++) if (j - 1 >= 1 && j - 1 <= 5) distance++;
  }
  return distance;
}

/** Mean top-5 distance over the frame pairs of a [image][frame] layout of logits. */
export function meanTop5Distance(values: Float32Array, classes: number, images: number, frames: number, againstFirst: boolean): number {
  let total = 0;
  for (let i = 0; i < images; i++) {
    const rankings = Array.from({ length: frames }, (_, j) => ranking(values, i * frames + j, classes));
    for (let j = 1; j < frames; j++) total += top5Distance(rankings[againstFirst ? 0 : j - 1], rankings[j]);
  }
  return images && frames > 1 ? total / (images * (frames - 1)) : 0;
}

export interface StabilityOptions {
  sequences?: readonly SequenceName[];
  frames?: number;
  seed?: number;
  baseline?: Model;
  batchSize?: number;
}

export interface SequenceResult {
  id: SequenceName;
  comparison: 'first frame' | 'previous frame';
  flipProbability: number;
  baselineFlipProbability: number | null;
  flipRate: number | null;
  /** Mean ImageNet-P top-5 distance (null for models with fewer than 5 classes). */
  top5Distance: number | null;
}

export interface StabilityResult {
  frames: number;
  count: number;
  sequences: SequenceResult[];
  meanFlipProbability: number;
  mFR: number | null;
  method: string;
}

async function frameLogits(model: Model, frames: Float32Array, count: number, shape: readonly number[], batchSize: number) {
  return collectLogits(model, frames, count, shape, batchSize);
}

/** Flip probabilities per sequence type (and flip rates against a baseline). */
export async function perturbationStability(model: Model, data: BenchmarkData, options: StabilityOptions = {}): Promise<StabilityResult> {
  const shape = data.sampleShape;
  if (shape.length !== 3) throw new RampartError('DATA_SHAPE_MISMATCH', `Perturbation sequences need image data [H, W, C]; got [${shape.join(', ')}].`);
  const frames = options.frames ?? 30;
  if (!Number.isInteger(frames) || frames < 2) throw new RampartError('BAD_OPTION', `A sequence needs at least 2 frames; got ${frames}.`);
  const size = shape[0] * shape[1] * shape[2];
  const batchSize = options.batchSize ?? 256;
  const results: SequenceResult[] = [];
  for (const [index, name] of (options.sequences ?? sequenceNames).entries()) {
    const random = createRandom(((options.seed ?? 0) * 7919 + index * 104729) >>> 0);
    const all = new Float32Array(data.count * frames * size);
    for (let i = 0; i < data.count; i++) {
      const image = data.x.subarray(i * size, (i + 1) * size);
      for (let j = 0; j < frames; j++) all.set(sequenceFrame(name, image, shape, j, random), (i * frames + j) * size);
    }
    const againstFirst = noiseSequences.includes(name);
    const logits = await frameLogits(model, all, data.count * frames, shape, batchSize);
    const fp = flipProbability(argmaxRows(logits.values, logits.rows, logits.cols), data.count, frames, againstFirst);
    const top5 = logits.cols >= 5 ? meanTop5Distance(logits.values, logits.cols, data.count, frames, againstFirst) : null;
    let base: number | null = null;
    if (options.baseline) {
      const baseLogits = await frameLogits(options.baseline, all, data.count * frames, shape, batchSize);
      base = flipProbability(argmaxRows(baseLogits.values, baseLogits.rows, baseLogits.cols), data.count, frames, againstFirst);
    }
    results.push({
      id: name,
      comparison: againstFirst ? 'first frame' : 'previous frame',
      flipProbability: fp,
      baselineFlipProbability: base,
      flipRate: base !== null && base > 0 ? fp / base : null,
      top5Distance: top5,
    });
  }
  const rates = results.map((r) => r.flipRate).filter((v): v is number => v !== null);
  return {
    frames,
    count: data.count,
    sequences: results,
    meanFlipProbability: results.reduce((a, r) => a + r.flipProbability, 0) / Math.max(results.length, 1),
    mFR: options.baseline && rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
    method: 'ImageNet-P flip probability and top-5 distance on generated 30-frame sequences; noise sequences compare each frame with the first, others with the previous frame; FR = FP / baseline FP',
  };
}
