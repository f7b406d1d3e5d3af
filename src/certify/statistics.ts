/**
 * The statistics randomized smoothing needs (Cohen, Rosenfeld & Kolter 2019, "Certified Adversarial Robustness
 * via Randomized Smoothing", https://arxiv.org/abs/1902.02918, Section 3.2 and Appendix):
 * - the one-sided Clopper–Pearson lower confidence bound on a binomial proportion (CERTIFY's LowerConfBound),
 * - PREDICT's two-sided exact binomial test of nA successes in nA + nB trials against p = 1/2,
 * - the certified L2 radius σ·Φ⁻¹(p̲A).
 * Beta and normal quantiles and the binomial test come from @stdlib, so the numbers match scipy's
 * (`statsmodels.proportion_confint(method="beta")`, `scipy.stats.binomtest`, `norm.ppf`); the fixture in
 * test/fixtures/smoothing-reference.json (scripts/smoothing-reference.py) checks that.
 *
 * @example
 * clopperPearsonLower(990, 1000, 0.001); // 0.9778…: P(true pA < 0.9778) ≤ 0.001
 * smoothingRadius(0.25, 0.9778); // 0.5025…
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import binomialTest from '@stdlib/stats-binomial-test';
import { RampartError } from '../errors.js';

function checkCounts(where: string, successes: number, trials: number): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || trials < 1 || successes > trials) {
    throw new RampartError('BAD_OPTION', `${where}: need integers 0 ≤ successes ≤ trials, trials ≥ 1; got ${successes} of ${trials}.`);
  }
}

function checkAlpha(where: string, alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RampartError('BAD_OPTION', `${where}: alpha must lie in (0, 1); got ${alpha}. Use e.g. 0.001.`);
}

/**
 * One-sided (1 − alpha) Clopper–Pearson lower bound on the success probability after `successes` of `trials`:
 * the alpha quantile of Beta(k, n − k + 1), and 0 when k = 0. Equals the lower end of statsmodels'
 * `proportion_confint(k, n, alpha=2*alpha, method="beta")`, which Cohen et al.'s code calls.
 */
export function clopperPearsonLower(successes: number, trials: number, alpha: number): number {
  checkCounts('clopperPearsonLower', successes, trials);
  checkAlpha('clopperPearsonLower', alpha);
  return successes === 0 ? 0 : betaQuantile(alpha, successes, trials - successes + 1);
}

/** One-sided (1 − alpha) Clopper–Pearson upper bound: the 1 − alpha quantile of Beta(k + 1, n − k), and 1 when k = n. */
export function clopperPearsonUpper(successes: number, trials: number, alpha: number): number {
  checkCounts('clopperPearsonUpper', successes, trials);
  checkAlpha('clopperPearsonUpper', alpha);
  return successes === trials ? 1 : betaQuantile(1 - alpha, successes + 1, trials - successes);
}

/** Two-sided exact binomial test p-value of `successes` in `trials` against p = 1/2 (PREDICT's BinomPValue). */
export function binomialPValue(successes: number, trials: number): number {
  checkCounts('binomialPValue', successes, trials);
  return binomialTest(successes, trials, { p: 0.5, alternative: 'two-sided' }).pValue;
}

/** Φ⁻¹(p), the standard normal quantile. */
export function normalPpf(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** Certified L2 radius σ·Φ⁻¹(p̲A) of a smoothed classifier, or 0 (abstain) when p̲A ≤ 1/2. */
export function smoothingRadius(sigma: number, pALower: number): number {
  return pALower > 0.5 ? sigma * normalPpf(pALower) : 0;
}
