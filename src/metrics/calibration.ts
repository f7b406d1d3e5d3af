/**
 * Calibration of a classifier's confidence: expected calibration error (ECE, 15 equal-width confidence bins),
 * maximum calibration error (MCE), multi-class Brier score, negative log-likelihood (NLL), reliability-diagram
 * data, and temperature scaling fitted on a held-out split.
 *
 * - ECE/MCE: Naeini, Cooper & Hauskrecht 2015, "Obtaining Well Calibrated Probabilities Using Bayesian
 *   Binning" (https://ojs.aaai.org/index.php/AAAI/article/view/9602); ECE = Σ_b |B_b|/n · |acc(B_b) − conf(B_b)|,
 *   MCE = max_b |acc(B_b) − conf(B_b)| over non-empty bins. Bin b holds confidences in ((b−1)/M, b/M]
 *   (confidence 0 falls into the first bin).
 * - Brier: Brier 1950; here the multi-class form (1/n) Σ_i Σ_k (p_ik − 1[y_i = k])², range [0, 2].
 * - Temperature scaling: Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of Modern Neural Networks"
 *   (https://arxiv.org/abs/1706.04599). T > 0 minimises the NLL of softmax(z / T) on the held-out split;
 *   Rampart searches log T by golden-section on [−4, 4] (T in [0.018, 54.6]), NLL being unimodal in T.
 *
 * Knowledge: black-box (logits only). Works on plain arrays (no tensors) once logits are collected.
 *
 * @example
 * const logits = await collectLogits(model, data.x, data.count);
 * const report = calibrationReport(logits, data.y, model.numClasses);
 * console.log(report.uncalibrated.ece, report.temperature, report.calibrated.ece);
 */
import { tf, type Tensor2D } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import { RampartError } from '../errors.js';

/** Row-major [n, k] logits with their shape. */
export interface LogitMatrix {
  values: Float32Array;
  rows: number;
  cols: number;
}

/** Forward passes over `count` samples in `x` (row-major, the model's sample shape), batched; no tensors leak. */
export async function collectLogits(
  model: Model,
  x: Float32Array,
  count: number,
  sampleShape: readonly number[] = model.inputShape,
  batchSize = 256,
): Promise<LogitMatrix> {
  const sampleSize = count === 0 ? 0 : x.length / count;
  const k = model.numClasses;
  const values = new Float32Array(count * k);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const input = tf.tensor(x.subarray(start * sampleSize, (start + n) * sampleSize), [n, ...sampleShape]);
    let logits: Tensor2D | undefined;
    try {
      logits = await model.logits(input);
      values.set((await logits.data()) as Float32Array, start * k);
    } finally {
      input.dispose();
      logits?.dispose();
    }
  }
  return { values, rows: count, cols: k };
}

/** Softmax of each row of z / temperature, in float64 for stability. */
export function softmaxRows(logits: LogitMatrix, temperature = 1): Float64Array {
  const { values, rows, cols } = logits;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, values[r * cols + c] / temperature);
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(values[r * cols + c] / temperature - max);
      out[r * cols + c] = e;
      sum += e;
    }
    for (let c = 0; c < cols; c++) out[r * cols + c] /= sum;
  }
  return out;
}

export interface ReliabilityBin {
  /** Bin edges (lower exclusive except for the first bin, upper inclusive). */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence and accuracy of the samples in the bin; null when empty. */
  confidence: number | null;
  accuracy: number | null;
}

export interface CalibrationMetrics {
  count: number;
  accuracy: number;
  /** Expected calibration error with `bins` equal-width bins. */
  ece: number;
  /** Maximum calibration error over non-empty bins. */
  mce: number;
  /** Multi-class Brier score (sum over classes, mean over samples), in [0, 2]. */
  brier: number;
  /** Mean negative log-likelihood of the true class (natural log). */
  nll: number;
  bins: number;
  reliability: ReliabilityBin[];
}

function checkLabels(probabilities: Float64Array, labels: Int32Array, cols: number): void {
  if (probabilities.length !== labels.length * cols) {
    throw new RampartError('BAD_OPTION', `Calibration needs one row of ${cols} probabilities per label; got ${probabilities.length / cols} rows for ${labels.length} labels.`);
  }
  for (const y of labels) {
    if (y < 0 || y >= cols) throw new RampartError('LABEL_OUT_OF_RANGE', `Label ${y} is outside the model's ${cols} classes; use data labelled 0..${cols - 1}.`);
  }
}

/** Calibration metrics from probabilities (rows summing to 1) and labels. */
export function calibrationFromProbabilities(probabilities: Float64Array, labels: Int32Array, cols: number, bins = 15): CalibrationMetrics {
  checkLabels(probabilities, labels, cols);
  const n = labels.length;
  const binCount = new Float64Array(bins);
  const binConfidence = new Float64Array(bins);
  const binCorrect = new Float64Array(bins);
  let correct = 0;
  let brier = 0;
  let nll = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (probabilities[i * cols + c] > probabilities[i * cols + best]) best = c;
    const confidence = probabilities[i * cols + best];
    const hit = best === labels[i] ? 1 : 0;
    correct += hit;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
    binCount[b]++;
    binConfidence[b] += confidence;
    binCorrect[b] += hit;
    for (let c = 0; c < cols; c++) {
      const d = probabilities[i * cols + c] - (c === labels[i] ? 1 : 0);
      brier += d * d;
    }
    nll -= Math.log(Math.max(probabilities[i * cols + labels[i]], 1e-300));
  }
  let ece = 0;
  let mce = 0;
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const count = binCount[b];
    const confidence = count ? binConfidence[b] / count : null;
    const accuracy = count ? binCorrect[b] / count : null;
    if (count) {
      const gap = Math.abs(accuracy! - confidence!);
      ece += (count / n) * gap;
      mce = Math.max(mce, gap);
    }
    reliability.push({ lower: b / bins, upper: (b + 1) / bins, count, confidence, accuracy });
  }
  return { count: n, accuracy: n ? correct / n : 0, ece, mce, brier: n ? brier / n : 0, nll: n ? nll / n : 0, bins, reliability };
}

/** Calibration metrics of softmax(logits / temperature). */
export function calibrationMetrics(logits: LogitMatrix, labels: Int32Array, temperature = 1, bins = 15): CalibrationMetrics {
  return calibrationFromProbabilities(softmaxRows(logits, temperature), labels, logits.cols, bins);
}

/** Mean NLL of softmax(z / T) for the true labels (float64, log-sum-exp). */
export function nllAtTemperature(logits: LogitMatrix, labels: Int32Array, temperature: number): number {
  const { values, rows, cols } = logits;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, values[r * cols + c] / temperature);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(values[r * cols + c] / temperature - max);
    total += max + Math.log(sum) - values[r * cols + labels[r]] / temperature;
  }
  return rows ? total / rows : 0;
}

/**
 * The temperature T minimising the NLL of softmax(z / T): golden-section search on log T in [−4, 4] to a
 * tolerance of 1e-6 in log T.
 */
export function fitTemperature(logits: LogitMatrix, labels: Int32Array): number {
  if (labels.length === 0) throw new RampartError('BAD_OPTION', 'Temperature scaling needs at least one held-out sample; use more data (--limit).');
  checkLabels(new Float64Array(logits.values.length), labels, logits.cols);
  const f = (logT: number) => nllAtTemperature(logits, labels, Math.exp(logT));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = -4;
  let b = 4;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

export interface CalibrationReport {
  /** Metrics of the raw model on the evaluation split. */
  uncalibrated: CalibrationMetrics;
  /** Temperature fitted on the held-out split. */
  temperature: number;
  /** Metrics of softmax(z / T) on the evaluation split. */
  calibrated: CalibrationMetrics;
  split: { fit: number; evaluate: number; method: string };
}

/**
 * Splits the samples in order: the first `fitFraction` (default 0.5) fit the temperature, the rest are
 * evaluated before and after scaling (a seeded shuffle is the caller's choice: datasets are usually in random
 * order already).
 */
export function calibrationReport(logits: LogitMatrix, labels: Int32Array, options: { fitFraction?: number; bins?: number } = {}): CalibrationReport {
  const fraction = options.fitFraction ?? 0.5;
  const n = labels.length;
  const fit = Math.floor(n * fraction);
  if (fit < 1 || n - fit < 1) {
    throw new RampartError('BAD_OPTION', `Calibration needs at least 2 samples (one to fit the temperature, one to evaluate); got ${n}. Raise --limit.`);
  }
  const k = logits.cols;
  const head: LogitMatrix = { values: logits.values.subarray(0, fit * k), rows: fit, cols: k };
  const tail: LogitMatrix = { values: logits.values.subarray(fit * k), rows: n - fit, cols: k };
  const temperature = fitTemperature(head, labels.subarray(0, fit));
  const tailLabels = labels.subarray(fit);
  return {
    uncalibrated: calibrationMetrics(tail, tailLabels, 1, options.bins),
    temperature,
    calibrated: calibrationMetrics(tail, tailLabels, temperature, options.bins),
    split: { fit, evaluate: n - fit, method: `first ${fit} samples fit T (golden-section on log T minimising NLL), last ${n - fit} evaluated` },
  };
}
