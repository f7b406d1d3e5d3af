/**
 * Robustness metrics over per-sample outcomes, as plain arrays (no tensors): robust accuracy, attack success
 * rate over the initially-correct samples, robustness score (clean − robust accuracy), perturbation-size
 * distributions (mean, median, p90) and the confidence of adversarial predictions.
 *
 * Conventions: a sample is *robust* when it is classified correctly and no attack succeeded on it; samples
 * misclassified when clean are never robust and are not attacked, so the attack success rate counts only the
 * initially-correct ones. Quantiles interpolate linearly between order statistics (NumPy's default).
 */
import type { Norm } from '../threat/threat-model.js';

export interface Distribution {
  /** Number of values summarised. */
  count: number;
  mean: number | null;
  median: number | null;
  p90: number | null;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, linear interpolation; null when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const position = (n - 1) * q;
  const low = Math.floor(position);
  const high = Math.min(n - 1, low + 1);
  const weight = position - low;
  const a = sorted[low];
  const b = sorted[high];
  if (a === b || weight === 0) return a;
  return a + (b - a) * weight;
}

/** Mean, median and 90th percentile of a list of finite numbers (null fields when empty). */
export function distribution(values: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return { count: 0, mean: null, median: null, p90: null };
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, mean: sum / sorted.length, median: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9) };
}

function countWhere(n: number, test: (i: number) => boolean): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (test(i)) count++;
  return count;
}

/** Fraction of samples classified correctly when clean. */
export function cleanAccuracy(correct: Uint8Array): number {
  return correct.length === 0 ? 0 : countWhere(correct.length, (i) => correct[i] === 1) / correct.length;
}

/** Fraction of all samples that are correct and on which no attack succeeded. */
export function robustAccuracy(correct: Uint8Array, success: Uint8Array): number {
  if (correct.length === 0) return 0;
  return countWhere(correct.length, (i) => correct[i] === 1 && success[i] !== 1) / correct.length;
}

/** Fraction of the initially-correct samples on which an attack succeeded; null when none were correct. */
export function attackSuccessRate(correct: Uint8Array, success: Uint8Array): number | null {
  const attacked = countWhere(correct.length, (i) => correct[i] === 1);
  if (attacked === 0) return null;
  return countWhere(correct.length, (i) => correct[i] === 1 && success[i] === 1) / attacked;
}

/** Robustness score: clean accuracy minus robust accuracy (how much accuracy the attack takes away). */
export function robustnessScore(clean: number, robust: number): number {
  return clean - robust;
}

/** Distribution of per-sample values restricted to the samples where `mask` is 1 (and the value is finite). */
export function maskedDistribution(values: Float64Array | Float32Array, mask: Uint8Array): Distribution {
  const picked: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1 && Number.isFinite(values[i])) picked.push(values[i]);
  return distribution(picked);
}

/** Per-norm perturbation sizes of one set of examples. */
export type PerturbationSizes = Record<Norm, Float64Array>;

/** Per-sample L0, L1, L2 and L∞ sizes of `adversarial − clean` (row-major, `size` values per sample), in float64. */
export function perturbationSizes(adversarial: ArrayLike<number>, clean: ArrayLike<number>, size: number): PerturbationSizes {
  const n = size === 0 ? 0 : Math.round(clean.length / size);
  const out: PerturbationSizes = { l0: new Float64Array(n), l1: new Float64Array(n), l2: new Float64Array(n), linf: new Float64Array(n) };
  for (let s = 0; s < n; s++) {
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let linf = 0;
    for (let i = s * size; i < (s + 1) * size; i++) {
      const d = Math.abs(adversarial[i] - clean[i]);
      if (d !== 0) l0++;
      l1 += d;
      l2 += d * d;
      if (d > linf || Number.isNaN(d)) linf = d;
    }
    out.l0[s] = l0;
    out.l1[s] = l1;
    out.l2[s] = Math.sqrt(l2);
    out.linf[s] = linf;
  }
  return out;
}

/**
 * Median of per-sample minimal perturbations found by a minimization attack, counting samples where it found
 * none as +∞: null when it failed on half or more of the attacked samples.
 */
export function medianMinimalPerturbation(distances: ArrayLike<number>): number | null {
  const sorted = Float64Array.from(distances).sort();
  const median = quantileSorted(sorted, 0.5);
  return median === null || !Number.isFinite(median) ? null : median;
}

/** Probability of the predicted class, softmax over one row of logits (numerically stable). */
export function predictedProbability(logits: ArrayLike<number>, row: number, classes: number): { predicted: number; probability: number } {
  let best = 0;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    const v = logits[row * classes + c];
    if (v > max) {
      max = v;
      best = c;
    }
  }
  let total = 0;
  for (let c = 0; c < classes; c++) total += Math.exp(logits[row * classes + c] - max);
  return { predicted: best, probability: 1 / total };
}
