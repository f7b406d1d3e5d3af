/**
 * SAMME boosting (Zhu, Zou, Rosset & Hastie 2009, "Multi-class AdaBoost", https://doi.org/10.4310/SII.2009.v2.n3.a8),
 * with weighted resampling for learners that take no sample weights: each round draws a training set by the
 * current weights, trains a member, computes its weighted error err, its vote α = log((1−err)/err) + log(K−1),
 * and multiplies the weights of the samples it misclassifies by exp(α). The ensemble is a weighted hard vote
 * (weights α). Rounds whose member is no better than chance (err ≥ 1 − 1/K) stop the boosting, as in the paper.
 */
import { createRandom } from '../../engine/random.js';

export interface SammeStep {
  error: number;
  alpha: number;
  /** Updated, normalised sample weights. */
  weights: Float64Array;
  /** True when err ≥ 1 − 1/K (the member is discarded and boosting stops). */
  stop: boolean;
}

/** One SAMME weight update from the current weights and the member's misses. */
export function sammeStep(weights: ArrayLike<number>, misses: ArrayLike<boolean>, numClasses: number): SammeStep {
  let total = 0;
  let wrong = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i];
    if (misses[i]) wrong += weights[i];
  }
  const error = Math.min(Math.max(wrong / total, 1e-10), 1 - 1e-10);
  const stop = error >= 1 - 1 / numClasses;
  const alpha = Math.log((1 - error) / error) + Math.log(numClasses - 1);
  const next = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    next[i] = weights[i] * (misses[i] && !stop ? Math.exp(alpha) : 1);
    sum += next[i];
  }
  for (let i = 0; i < next.length; i++) next[i] /= sum;
  return { error, alpha, weights: next, stop };
}

/** n indices drawn with replacement with probabilities ∝ weights (seeded). */
export function weightedResample(weights: ArrayLike<number>, n: number, seed: number): Int32Array {
  const random = createRandom(seed);
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) cumulative[i] = sum += weights[i];
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const u = random.next() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out[k] = lo;
  }
  return out;
}
