/**
 * Randomized smoothing: PREDICT and CERTIFY exactly as in Cohen, Rosenfeld & Kolter 2019, "Certified Adversarial
 * Robustness via Randomized Smoothing" (ICML, https://arxiv.org/abs/1902.02918, Pseudocode 1).
 *
 * The smoothed classifier g(x) = argmax_c P(f(x + δ) = c), δ ~ N(0, σ²I), is certified in L2:
 * - CERTIFY(f, σ, x, n0, n, α): draw n0 noisy copies and take the top class ĉA; draw n fresh copies and count
 *   nA = #{f = ĉA}; p̲A = LowerConfBound(nA, n, 1 − α) (one-sided Clopper–Pearson); if p̲A > ½ return ĉA with
 *   radius σ·Φ⁻¹(p̲A), else abstain. With probability ≥ 1 − α over the noise, g(x + e) = ĉA for every
 *   ‖e‖₂ < radius (Theorem 1 with p̄B = 1 − p̲A).
 * - PREDICT(f, σ, x, n, α): draw n copies; with nA, nB the top two counts, return the top class if the two-sided
 *   binomial test of nA in nA + nB against ½ has p-value ≤ α, else abstain. It returns a wrong class with
 *   probability ≤ α.
 * Forward passes only (any model); noise is seeded (one generator per sample, forked in order from `seed`), and,
 * as in the paper, noisy inputs are not clipped to the input bounds.
 *
 * Norm: L2 only. Knowledge: decisions (top-1 labels) only.
 *
 * @example
 * const base = (await smoothingClassifierFor(model, { onnx: 'models/mnist-cnn/model.onnx' })).classifier;
 * const report = await certifySmoothing(base, data.x, data.y, 100, { sigma: 0.25, n: 10_000, n0: 100, alpha: 0.001 });
 * report.certifiedAccuracy; // [{ radius: 0, accuracy: 0.98 }, { radius: 0.25, accuracy: 0.9 }, ...]
 */
import { z } from 'zod';
import { createRandom, type Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { fillNoisyCopies } from './noise.js';
import type { NoiseClassifier } from './smoothing-classifier.js';
import { binomialPValue, clopperPearsonLower, normalPpf, smoothingRadius } from './statistics.js';

export const smoothingOptionsSchema = z.object({
  /** Noise standard deviation σ (input units). */
  sigma: z.number().positive().max(100),
  /** Estimation samples per input (CERTIFY's n; PREDICT's n). */
  n: z.number().int().min(1).max(100_000_000).default(100_000),
  /** Selection samples per input (CERTIFY's n0). */
  n0: z.number().int().min(1).max(100_000_000).default(100),
  /** Failure probability α. */
  alpha: z.number().gt(0).lt(1).default(0.001),
  /** Noisy copies per forward pass. */
  batchSize: z.number().int().min(1).max(1_000_000).default(1000),
  seed: z.number().int().min(0).default(0),
  /** Radii at which certified accuracy is reported. */
  radii: z.array(z.number().min(0)).default([0, 0.25, 0.5, 0.75, 1]),
  /** Points of the certified-accuracy-vs-radius curve (uniform grid from 0 to the largest certifiable radius). */
  curvePoints: z.number().int().min(2).max(10_000).default(51),
});
export type SmoothingOptions = z.input<typeof smoothingOptionsSchema>;
type ParsedSmoothingOptions = z.output<typeof smoothingOptionsSchema>;

export function parseSmoothingOptions(options: SmoothingOptions): ParsedSmoothingOptions {
  const parsed = smoothingOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError(
      'BAD_OPTION',
      `randomized smoothing: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}. Example: { sigma: 0.25, n: 100000, n0: 100, alpha: 0.001 }.`,
      { issues: parsed.error.issues },
    );
  }
  return parsed.data;
}

/**
 * Class counts of f(x + δ) over `num` noisy copies of one sample (classifier layout). Two buffers alternate, so the
 * next batch's noise is drawn while the classifier (ONNX Runtime runs off the main thread) works on the current
 * one; the draws, and so the counts, do not depend on `batchSize`.
 */
export async function sampleNoiseCounts(
  classifier: NoiseClassifier,
  sample: Float32Array,
  num: number,
  sigma: number,
  batchSize: number,
  random: Random,
): Promise<Int32Array> {
  const counts = new Int32Array(classifier.numClasses);
  const size = sample.length;
  const capacity = Math.min(batchSize, num);
  const buffers = [new Float32Array(capacity * size), new Float32Array(capacity * size)];
  let pending: { labels: Promise<Int32Array>; count: number } | undefined;
  for (let done = 0, turn = 0; done < num; turn ^= 1) {
    const count = Math.min(batchSize, num - done);
    fillNoisyCopies(sample, count, sigma, random, buffers[turn]);
    done += count;
    if (pending) {
      const labels = await pending.labels;
      for (let i = 0; i < pending.count; i++) counts[labels[i]]++;
    }
    pending = { labels: classifier.classify(buffers[turn], count), count };
  }
  if (pending) {
    const labels = await pending.labels;
    for (let i = 0; i < pending.count; i++) counts[labels[i]]++;
  }
  return counts;
}

/** Index of the largest count (lowest index on ties), and the second largest count. */
function topTwo(counts: Int32Array): { top: number; nA: number; nB: number } {
  let top = 0;
  for (let k = 1; k < counts.length; k++) if (counts[k] > counts[top]) top = k;
  let nB = 0;
  for (let k = 0; k < counts.length; k++) if (k !== top && counts[k] > nB) nB = counts[k];
  return { top, nA: counts[top], nB };
}

export interface CertifyOutcome {
  /** ĉA, or −1 when CERTIFY abstains. */
  prediction: number;
  /** Certified L2 radius σ·Φ⁻¹(p̲A); 0 when abstaining. */
  radius: number;
  /** p̲A, the one-sided (1 − α) Clopper–Pearson lower bound on P(f(x + δ) = ĉA). */
  pALower: number;
  /** ĉA chosen from the n0 selection draws (kept even when abstaining). */
  selected: number;
  /** Count of ĉA among the n estimation draws. */
  nA: number;
}

/** CERTIFY for one sample, given in Rampart layout. */
export async function certifyOne(classifier: NoiseClassifier, sample: Float32Array, options: SmoothingOptions, random: Random): Promise<CertifyOutcome> {
  const o = parseSmoothingOptions(options);
  const x = classifier.toClassifierLayout(sample);
  const selection = await sampleNoiseCounts(classifier, x, o.n0, o.sigma, o.batchSize, random);
  const selected = topTwo(selection).top;
  const estimation = await sampleNoiseCounts(classifier, x, o.n, o.sigma, o.batchSize, random);
  const nA = estimation[selected];
  const pALower = clopperPearsonLower(nA, o.n, o.alpha);
  const certified = pALower > 0.5;
  return { prediction: certified ? selected : -1, radius: certified ? smoothingRadius(o.sigma, pALower) : 0, pALower, selected, nA };
}

export interface PredictOutcome {
  /** The smoothed prediction, or −1 when PREDICT abstains. */
  prediction: number;
  /** Two-sided binomial test p-value of nA in nA + nB against ½. */
  pValue: number;
  nA: number;
  nB: number;
}

/** PREDICT for one sample, given in Rampart layout (uses `n`, `alpha`, `sigma`, `batchSize`). */
export async function predictOne(classifier: NoiseClassifier, sample: Float32Array, options: SmoothingOptions, random: Random): Promise<PredictOutcome> {
  const o = parseSmoothingOptions(options);
  const counts = await sampleNoiseCounts(classifier, classifier.toClassifierLayout(sample), o.n, o.sigma, o.batchSize, random);
  const { top, nA, nB } = topTwo(counts);
  const pValue = binomialPValue(nA, nA + nB);
  return { prediction: pValue <= o.alpha ? top : -1, pValue, nA, nB };
}

export interface SmoothingSampleResult extends CertifyOutcome {
  index: number;
  label: number;
  /** prediction === label (an abstention is never correct). */
  correct: boolean;
  seconds: number;
}

export interface SmoothingReport {
  method: 'randomized-smoothing';
  paper: string;
  norm: 'l2';
  options: Omit<ParsedSmoothingOptions, 'radii' | 'curvePoints'>;
  engine: string;
  count: number;
  /** Fraction of samples where CERTIFY abstained. */
  abstentionRate: number;
  /** Fraction certified with the correct class at radius ≥ r (r = 0: correct and not abstained). */
  certifiedAccuracy: { radius: number; accuracy: number }[];
  /** Certified accuracy on a uniform radius grid from 0 to `maxCertifiableRadius`. */
  curve: { radius: number; accuracy: number }[];
  /** σ·Φ⁻¹(α^(1/n)): the radius when all n draws agree, the largest n and α allow. */
  maxCertifiableRadius: number;
  /** Mean certified radius over correctly certified samples (0 if none). */
  meanCertifiedRadius: number;
  /** Noisy forward passes (n0 + n per sample). */
  forwardPasses: number;
  seconds: number;
  samples: SmoothingSampleResult[];
}

/** Fraction of samples correct with radius ≥ r, for each r. */
export function certifiedAccuracyAt(samples: readonly Pick<SmoothingSampleResult, 'correct' | 'radius'>[], radii: readonly number[]): { radius: number; accuracy: number }[] {
  return radii.map((radius) => ({
    radius,
    accuracy: samples.length === 0 ? 0 : samples.filter((s) => s.correct && s.radius >= radius).length / samples.length,
  }));
}

/**
 * CERTIFY over `count` samples (Rampart layout, row-major in `x`), with per-sample seeds forked in order from
 * `options.seed`, so a sample's outcome depends only on the seed and its position.
 */
export async function certifySmoothing(
  classifier: NoiseClassifier,
  x: Float32Array,
  labels: Int32Array,
  count: number,
  options: SmoothingOptions,
  onSample?: (result: SmoothingSampleResult, done: number) => void,
): Promise<SmoothingReport> {
  const o = parseSmoothingOptions(options);
  const size = classifier.inputShape.reduce((a, b) => a * b, 1);
  if (x.length < count * size || labels.length < count) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `certifySmoothing: ${count} samples of ${size} values need ${count * size} inputs and ${count} labels; got ${x.length} and ${labels.length}.`);
  }
  const master = createRandom(o.seed);
  const started = performance.now();
  const samples: SmoothingSampleResult[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const outcome = await certifyOne(classifier, x.subarray(i * size, (i + 1) * size), o, master.fork());
    const result: SmoothingSampleResult = {
      index: i,
      label: labels[i],
      ...outcome,
      correct: outcome.prediction === labels[i],
      seconds: (performance.now() - t0) / 1000,
    };
    samples.push(result);
    onSample?.(result, i + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  const maxCertifiableRadius = o.sigma * normalPpf(Math.pow(o.alpha, 1 / o.n));
  const grid = Array.from({ length: o.curvePoints }, (_, k) => (maxCertifiableRadius * k) / (o.curvePoints - 1));
  const correct = samples.filter((s) => s.correct);
  const { radii: _radii, curvePoints: _points, ...kept } = o;
  return {
    method: 'randomized-smoothing',
    paper: 'Cohen, Rosenfeld & Kolter 2019, https://arxiv.org/abs/1902.02918',
    norm: 'l2',
    options: kept,
    engine: classifier.engine,
    count,
    abstentionRate: count === 0 ? 0 : samples.filter((s) => s.prediction < 0).length / count,
    certifiedAccuracy: certifiedAccuracyAt(samples, o.radii),
    curve: certifiedAccuracyAt(samples, grid),
    maxCertifiableRadius: Number.isFinite(maxCertifiableRadius) && maxCertifiableRadius > 0 ? maxCertifiableRadius : 0,
    meanCertifiedRadius: correct.length === 0 ? 0 : correct.reduce((s, r) => s + r.radius, 0) / correct.length,
    forwardPasses: count * (o.n + o.n0),
    seconds,
    samples,
  };
}
