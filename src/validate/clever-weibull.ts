/**
 * Maximum-likelihood fit of the three-parameter reverse Weibull distribution (scipy's `weibull_max`), the limit law
 * of maxima of samples bounded above: for x < μ, F(x) = exp(−((μ − x)/λ)^k). CLEVER (Weng et al. 2018,
 * https://arxiv.org/abs/1801.10578) fits it to batch maxima of gradient norms and reads the location μ as the
 * local Lipschitz constant.
 *
 * Profile likelihood over μ: for a fixed μ > max(x), y = μ − x follows a two-parameter Weibull whose MLE shape k
 * solves Σ yᵏ ln y / Σ yᵏ − 1/k − mean(ln y) = 0 (monotone in k: bisection on ln k) and λ = (mean yᵏ)^(1/k); the
 * best μ is found on a log grid of μ − max(x) and refined by golden-section search. When k < 1 the likelihood grows
 * without bound as μ → max(x); then (and when all maxima are equal) the fit returns μ = max(x), the observed
 * maximum, and says so. A Kolmogorov–Smirnov statistic and p-value (asymptotic) tell how well the law fits.
 * Checked against scipy.stats.weibull_max.fit (test/fixtures/clever-weibull-reference.json).
 *
 * @example
 * fitReverseWeibull([1.91, 1.95, 1.97, 1.98, 1.99]).location; // ≈ 2.0
 */
import { RampartError } from '../errors.js';

export interface ReverseWeibullFit {
  /** μ: the upper end point (CLEVER's Lipschitz estimate). */
  location: number;
  /** λ */
  scale: number;
  /** k */
  shape: number;
  logLikelihood: number;
  /** Kolmogorov–Smirnov distance between the samples and the fitted law, and its asymptotic p-value. */
  ksStatistic: number;
  ksPValue: number;
  /** 'mle', or why the observed maximum was used instead. */
  method: 'mle' | 'degenerate-samples' | 'shape-below-one';
}

function weibullShapeAndScale(y: Float64Array): { k: number; lambda: number; logLikelihood: number } {
  const n = y.length;
  const logs = Float64Array.from(y, (v) => Math.log(v));
  const meanLog = logs.reduce((a, b) => a + b, 0) / n;
  const h = (k: number): number => {
    // Scale yᵏ by its largest term to avoid overflow.
    let maxLog = -Infinity;
    for (let i = 0; i < n; i++) maxLog = Math.max(maxLog, k * logs[i]);
    let s = 0;
    let sl = 0;
    for (let i = 0; i < n; i++) {
      const t = Math.exp(k * logs[i] - maxLog);
      s += t;
      sl += t * logs[i];
    }
    return sl / s - 1 / k - meanLog;
  };
  let lo = Math.log(1e-3);
  let hi = Math.log(1e4);
  if (h(Math.exp(hi)) < 0) lo = hi;
  else if (h(Math.exp(lo)) > 0) hi = lo;
  for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
    const mid = 0.5 * (lo + hi);
    if (h(Math.exp(mid)) > 0) hi = mid;
    else lo = mid;
  }
  const k = Math.exp(0.5 * (lo + hi));
  let maxLog = -Infinity;
  for (let i = 0; i < n; i++) maxLog = Math.max(maxLog, k * logs[i]);
  let meanPow = 0;
  for (let i = 0; i < n; i++) meanPow += Math.exp(k * logs[i] - maxLog);
  meanPow /= n;
  const logLambdaK = Math.log(meanPow) + maxLog; // ln(λᵏ)
  const lambda = Math.exp(logLambdaK / k);
  // ℓ = n ln k − n ln λᵏ + (k − 1) Σ ln y − Σ yᵏ/λᵏ, and Σ yᵏ/λᵏ = n at the MLE λ.
  const logLikelihood = n * Math.log(k) - n * logLambdaK + (k - 1) * meanLog * n - n;
  return { k, lambda, logLikelihood };
}

/** Kolmogorov's asymptotic survival function Q(√n·D) (enough for a goodness-of-fit flag). */
function kolmogorovPValue(d: number, n: number): number {
  const t = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  if (t < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) sum += 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * t * t);
  return Math.min(1, Math.max(0, sum));
}

function ksStatistic(sorted: Float64Array, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

export function fitReverseWeibull(samples: ArrayLike<number>): ReverseWeibullFit {
  const n = samples.length;
  if (n < 3) throw new RampartError('BAD_OPTION', `fitReverseWeibull: need at least 3 batch maxima, got ${n}. Raise the number of batches.`);
  const x = Float64Array.from(samples).sort();
  if (!x.every(Number.isFinite)) throw new RampartError('NON_FINITE_INPUT', 'fitReverseWeibull: the samples hold NaN or Inf (are the model\'s gradients finite?).');
  const max = x[n - 1];
  const spread = max - x[0];
  if (!(spread > 1e-9 * Math.max(1, Math.abs(max)))) {
    return { location: max, scale: 0, shape: Infinity, logLikelihood: Infinity, ksStatistic: 0, ksPValue: 1, method: 'degenerate-samples' };
  }
  const at = (delta: number) => {
    const y = Float64Array.from(x, (v) => max + delta - v);
    return weibullShapeAndScale(y);
  };
  // Log grid of μ − max over [1e-6, 1e2]·spread, then golden-section on ln δ around the best grid point.
  const grid: { logDelta: number; ll: number }[] = [];
  for (let e = -6; e <= 2; e += 0.25) {
    const logDelta = Math.log(spread) + e * Math.LN10;
    grid.push({ logDelta, ll: at(Math.exp(logDelta)).logLikelihood });
  }
  let best = 0;
  for (let i = 1; i < grid.length; i++) if (grid[i].ll > grid[best].ll) best = i;
  let a = grid[Math.max(0, best - 1)].logDelta;
  let b = grid[Math.min(grid.length - 1, best + 1)].logDelta;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = at(Math.exp(c)).logLikelihood;
  let fd = at(Math.exp(d)).logLikelihood;
  for (let it = 0; it < 100 && b - a > 1e-10; it++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = at(Math.exp(c)).logLikelihood;
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = at(Math.exp(d)).logLikelihood;
    }
  }
  const delta = Math.exp(0.5 * (a + b));
  const fit = at(delta);
  const location = max + delta;
  const cdf = (v: number) => (v >= location ? 1 : Math.exp(-Math.pow((location - v) / fit.lambda, fit.k)));
  const ks = ksStatistic(x, cdf);
  if (fit.k < 1 || best === 0) {
    return { location: max, scale: fit.lambda, shape: fit.k, logLikelihood: fit.logLikelihood, ksStatistic: ks, ksPValue: kolmogorovPValue(ks, n), method: 'shape-below-one' };
  }
  return { location, scale: fit.lambda, shape: fit.k, logLikelihood: fit.logLikelihood, ksStatistic: ks, ksPValue: kolmogorovPValue(ks, n), method: 'mle' };
}
