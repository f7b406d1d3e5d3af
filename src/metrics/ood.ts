/**
 * Out-of-distribution (OOD) detection: per-sample scores (higher = more in-distribution) and the standard
 * detection metrics, in-distribution samples being the positives.
 *
 * Scores:
 * - `msp`: maximum softmax probability (Hendrycks & Gimpel 2017, https://arxiv.org/abs/1610.02136).
 * - `max-logit`: maximum logit (Hendrycks et al. 2022, https://arxiv.org/abs/1911.11132).
 * - `energy`: negative free energy T·logsumexp(z/T) with T = 1 (Liu et al. 2020, https://arxiv.org/abs/2010.03759).
 * - `odin`: MSP of softmax(z/T) after input preprocessing x' = clip(x − ε·sign(∇x CE_T(x, ŷ))), defaults T = 1000,
 *   ε = 0.0014 (Liang, Li & Srikant 2018, https://arxiv.org/abs/1706.02690). White-box: the gradient of the
 *   temperature-scaled loss through `logitsSync`; when only `lossAndGradient` works (T = 1 loss) that gradient
 *   is used and noted; black-box models get the preprocessing from SPSA-estimated gradients, noted.
 * - `mahalanobis`: −min_c (f − μ_c)ᵀ Σ⁻¹ (f − μ_c) on penultimate features f (input of the last Dense layer of a
 *   TF.js LayersModel, or the data input of the last Gemm/MatMul of an ONNX graph, imported up to that value),
 *   class means μ_c and a shared covariance Σ fitted on in-distribution data
 *   (Lee et al. 2018, https://arxiv.org/abs/1807.03888; without their input preprocessing and layer ensemble).
 *   Other models report it as unsupported. Call `dispose()` on the fit's extractor when done (ONNX weights).
 *
 * Metrics: AUROC (trapezoidal, ties count half), AUPR-in (in = positive) and AUPR-out (out = positive, scores
 * negated) as average precision Σ (R_n − R_{n−1}) P_n, and FPR at 95% TPR by linear interpolation between the
 * two ROC points around TPR = 0.95.
 *
 * @example
 * const inScores = await oodScores(model, inX, inCount, ['msp', 'energy']);
 * const outScores = await oodScores(model, outX, outCount, ['msp', 'energy']);
 * detectionMetrics(inScores.scores.msp!, outScores.scores.msp!).auroc;
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import { isDifferentiable, type Model } from '../engine/model.js';
import { withEstimatedGradients } from '../engine/estimated-gradients.js';
import { RampartError } from '../errors.js';
import type { Random } from '../engine/random.js';
import { collectLogits, softmaxRows, type LogitMatrix } from './calibration.js';
import { importOnnxGraph, type ImportedOnnxGraph } from '../engine/onnx/import.js';
import type { OnnxGraph } from '../engine/onnx/graph.js';

export type OodScoreName = 'msp' | 'max-logit' | 'energy' | 'odin' | 'mahalanobis';
export const oodScoreNames: readonly OodScoreName[] = ['msp', 'max-logit', 'energy', 'odin', 'mahalanobis'];

export interface DetectionMetrics {
  auroc: number;
  auprIn: number;
  auprOut: number;
  fprAt95Tpr: number;
  inCount: number;
  outCount: number;
}

export const detectionMethodNote =
  'in-distribution = positive, higher score = more in-distribution; AUROC trapezoidal (ties count half); AUPR as average precision; FPR at 95% TPR by linear interpolation of the ROC between the points around TPR = 0.95';

interface RocPoint {
  fpr: number;
  tpr: number;
}

/** ROC curve points (from (0,0) to (1,1)), one per distinct threshold, positives = `positive`. */
export function rocCurve(positive: ArrayLike<number>, negative: ArrayLike<number>): RocPoint[] {
  const all = [...Array.from(positive, (s) => ({ s, p: 1 })), ...Array.from(negative, (s) => ({ s, p: 0 }))];
  all.sort((a, b) => b.s - a.s);
  const nPos = positive.length;
  const nNeg = negative.length;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i].p) tp++;
    else fp++;
    if (i === all.length - 1 || all[i + 1].s !== all[i].s) points.push({ fpr: fp / nNeg, tpr: tp / nPos });
  }
  return points;
}

/** Average precision with `positive` scored high. */
export function averagePrecision(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  const all = [...Array.from(positive, (s) => ({ s, p: 1 })), ...Array.from(negative, (s) => ({ s, p: 0 }))];
  all.sort((a, b) => b.s - a.s);
  let tp = 0;
  let seen = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < all.length; i++) {
    seen++;
    if (all[i].p) tp++;
    if (i === all.length - 1 || all[i + 1].s !== all[i].s) {
      const recall = tp / positive.length;
      ap += (recall - previousRecall) * (tp / seen);
      previousRecall = recall;
    }
  }
  return ap;
}

/** AUROC, AUPR-in, AUPR-out and FPR at 95% TPR of in-distribution scores vs out-of-distribution scores. */
export function detectionMetrics(inScores: ArrayLike<number>, outScores: ArrayLike<number>): DetectionMetrics {
  if (inScores.length === 0 || outScores.length === 0) {
    throw new RampartError('BAD_OPTION', `Detection metrics need in- and out-of-distribution samples; got ${inScores.length} in and ${outScores.length} out. Use more data (--limit).`);
  }
  for (const s of [...Array.from(inScores), ...Array.from(outScores)]) {
    if (!Number.isFinite(s)) throw new RampartError('NON_FINITE_INPUT', 'A detection score is not finite (NaN or infinite logits?); check the model outputs.');
  }
  const roc = rocCurve(inScores, outScores);
  let auroc = 0;
  let fprAt95Tpr = 1;
  let found = false;
  for (let i = 1; i < roc.length; i++) {
    const a = roc[i - 1];
    const b = roc[i];
    auroc += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
    if (!found && b.tpr >= 0.95) {
      found = true;
      fprAt95Tpr = b.tpr === a.tpr ? a.fpr : a.fpr + ((0.95 - a.tpr) * (b.fpr - a.fpr)) / (b.tpr - a.tpr);
    }
  }
  const negate = (v: ArrayLike<number>) => Array.from(v, (s) => -s);
  return {
    auroc,
    auprIn: averagePrecision(inScores, outScores),
    auprOut: averagePrecision(negate(outScores), negate(inScores)),
    fprAt95Tpr,
    inCount: inScores.length,
    outCount: outScores.length,
  };
}

/** MSP, max-logit and energy (T = 1) scores from logits. */
export function logitScores(logits: LogitMatrix): { msp: Float64Array; maxLogit: Float64Array; energy: Float64Array } {
  const { values, rows, cols } = logits;
  const probabilities = softmaxRows(logits);
  const msp = new Float64Array(rows);
  const maxLogit = new Float64Array(rows);
  const energy = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    let pmax = 0;
    for (let c = 0; c < cols; c++) {
      max = Math.max(max, values[r * cols + c]);
      pmax = Math.max(pmax, probabilities[r * cols + c]);
    }
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(values[r * cols + c] - max);
    msp[r] = pmax;
    maxLogit[r] = max;
    energy[r] = max + Math.log(sum);
  }
  return { msp, maxLogit, energy };
}

export interface OdinOptions {
  temperature?: number;
  epsilon?: number;
  batchSize?: number;
  /** Seed of the gradient estimate for models without gradients. */
  seed?: number;
}

/** ODIN scores; `note` says which gradient was used (or that there was none). */
export async function odinScores(model: Model, x: Float32Array, count: number, sampleShape: readonly number[], options: OdinOptions = {}): Promise<{ scores: Float64Array; note: string }> {
  const temperature = options.temperature ?? 1000;
  const epsilon = options.epsilon ?? 0.0014;
  const batchSize = options.batchSize ?? 128;
  const sampleSize = count ? x.length / count : 0;
  const scores = new Float64Array(count);
  let note = `T = ${temperature}, ε = ${epsilon}, gradient of the temperature-scaled cross-entropy of the predicted class`;
  let mode: 'scaled' | 'loss' | 'estimated' = isDifferentiable(model) ? 'scaled' : 'estimated';
  // Black-box models (e.g. forward-only ONNX) get the input preprocessing from estimated gradients.
  const estimated = mode === 'estimated' ? withEstimatedGradients(model, { method: 'spsa', samples: 20, sigma: 1e-3, seed: options.seed ?? 0 }) : undefined;
  if (estimated) {
    note = `T = ${temperature}, ε = ${epsilon}, sign of an SPSA-estimated gradient (20 samples, σ = 1e-3) of the T = 1 cross-entropy of the predicted class: the model exposes no gradients`;
  }
  const [lo, hi] = model.bounds;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const input = tf.tensor(x.subarray(start * sampleSize, (start + n) * sampleSize), [n, ...sampleShape]);
    let shifted: Tensor | undefined;
    try {
      if (estimated) {
        const clean = await model.logits(input);
        const predicted = tf.tidy(() => tf.cast(tf.argMax(clean, 1), 'float32') as Tensor1D);
        clean.dispose();
        const result = await estimated.lossAndGradient(input, predicted);
        shifted = tf.tidy(() => tf.clipByValue(tf.sub(input, tf.mul(tf.sign(result.gradient), epsilon)), lo, hi));
        tf.dispose([predicted, result.loss, result.gradient, result.logits]);
      } else {
        const dm = model as Model & { logitsSync(x: Tensor): Tensor2D; lossAndGradient: (x: Tensor, labels: Tensor1D) => Promise<{ loss: Tensor; gradient: Tensor; logits: Tensor }> };
        const predicted = tf.tidy(() => tf.cast(tf.argMax(dm.logitsSync(input), 1), 'float32') as Tensor1D);
        try {
          if (mode === 'scaled') {
            try {
              const gradient = tf.tidy(() =>
                tf.grad((v: Tensor) => {
                  const z = tf.div(dm.logitsSync(v), temperature) as Tensor2D;
                  const logp = tf.logSoftmax(z);
                  return tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.cast(predicted, 'int32') as Tensor1D, z.shape[1]))));
                })(input),
              );
              shifted = tf.tidy(() => tf.clipByValue(tf.sub(input, tf.mul(tf.sign(gradient), epsilon)), lo, hi));
              gradient.dispose();
            } catch {
              mode = 'loss';
              note = `T = ${temperature}, ε = ${epsilon}, gradient of the T = 1 cross-entropy from lossAndGradient (the temperature-scaled gradient was not available)`;
            }
          }
          if (mode === 'loss') {
            const result = await dm.lossAndGradient(input, predicted);
            shifted = tf.tidy(() => tf.clipByValue(tf.sub(input, tf.mul(tf.sign(result.gradient), epsilon)), lo, hi));
            result.loss.dispose();
            result.gradient.dispose();
            result.logits.dispose();
          }
        } finally {
          predicted.dispose();
        }
      }
      const logits = await model.logits(shifted ?? input);
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const probabilities = softmaxRows({ values, rows: n, cols: model.numClasses }, temperature);
      for (let r = 0; r < n; r++) {
        let best = 0;
        for (let c = 0; c < model.numClasses; c++) best = Math.max(best, probabilities[r * model.numClasses + c]);
        scores[start + r] = best;
      }
    } finally {
      input.dispose();
      shifted?.dispose();
    }
  }
  return { scores, note };
}

/** A function from a batch of inputs to penultimate features [N, D], or a reason why there is none. */
export type FeatureExtractor = { extract(x: Tensor): Tensor2D; dispose(): void; layer: string } | { unsupported: string };

/** Features at the input of the last Dense layer of a TF.js LayersModel. */
export function penultimateFeatures(model: Model): FeatureExtractor {
  const onnx = model as Partial<{ graph: OnnxGraph; layout: string; modelSampleDims: readonly number[] }>;
  if (model.format === 'onnx' && onnx.graph) return onnxPenultimateFeatures(model, onnx.graph, onnx.layout ?? 'plain', onnx.modelSampleDims ?? []);
  const layersModel = (model as Partial<{ layersModel: tfl.LayersModel }>).layersModel;
  if (!layersModel) {
    return { unsupported: `Mahalanobis needs penultimate features; ${model.format} model ${model.id} does not expose them (TF.js LayersModels and ONNX models with a final Gemm/MatMul do)` };
  }
  const dense = [...layersModel.layers].reverse().find((l) => l.getClassName() === 'Dense');
  if (!dense) return { unsupported: `Mahalanobis needs a Dense output layer; model ${model.id} has none` };
  const sub = tfl.model({ inputs: layersModel.inputs, outputs: dense.input as tfl.SymbolicTensor });
  return {
    layer: `the input of Dense layer ${dense.name}`,
    extract: (x: Tensor) => tf.tidy(() => {
      const out = sub.predict(x) as Tensor;
      return (out.rank === 2 ? out : tf.reshape(out, [out.shape[0], -1])) as Tensor2D;
    }),
    // The sub-model shares the original's weights: nothing of its own to release.
    dispose: () => undefined,
  };
}

/** Features at the data input of the last Gemm/MatMul node of an ONNX graph, via a re-import that ends there. */
function onnxPenultimateFeatures(model: Model, graph: OnnxGraph, layout: string, sampleDims: readonly number[]): FeatureExtractor {
  const last = [...graph.nodes].reverse().find((n) => n.opType === 'Gemm' || n.opType === 'MatMul');
  if (!last) return { unsupported: `Mahalanobis needs a final Gemm/MatMul in ONNX model ${model.id}; its graph has none` };
  const featureName = graph.initializers.has(last.inputs[0]) ? last.inputs[1] : last.inputs[0];
  let imported: ImportedOnnxGraph;
  try {
    imported = importOnnxGraph({ ...graph, outputs: [{ name: featureName, elemType: 1 }] });
  } catch (error) {
    return { unsupported: `the ONNX graph of ${model.id} could not be imported up to "${featureName}": ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    layer: `${last.opType} ${last.name || featureName} (input "${featureName}")`,
    extract: (x: Tensor) =>
      tf.tidy(() => {
        const input = layout === 'nchw' ? tf.transpose(x, [0, 3, 1, 2]) : layout === 'vector' ? tf.reshape(x, [x.shape[0], ...sampleDims]) : x;
        return tf.reshape(imported.run(input), [x.shape[0], -1]) as Tensor2D;
      }),
    dispose: () => imported.dispose(),
  };
}

/** Collects features of `count` samples as a row-major float64 matrix. */
async function collectFeatures(extractor: { extract(x: Tensor): Tensor2D }, x: Float32Array, count: number, sampleShape: readonly number[], batchSize = 256): Promise<{ values: Float64Array; dim: number }> {
  const sampleSize = count ? x.length / count : 0;
  let values = new Float64Array(0);
  let dim = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const features = tf.tidy(() => extractor.extract(tf.tensor(x.subarray(start * sampleSize, (start + n) * sampleSize), [n, ...sampleShape])));
    const data = (await features.data()) as Float32Array;
    if (start === 0) {
      dim = features.shape[1];
      values = new Float64Array(count * dim);
    }
    features.dispose();
    values.set(data, start * dim);
  }
  return { values, dim };
}

/** Class means and inverse shared covariance (ridge 1e-6·trace/D) of penultimate features. */
export interface MahalanobisFit {
  means: Float64Array[];
  precision: Float64Array;
  dim: number;
}

/** Inverse of a symmetric positive definite matrix by Gauss–Jordan elimination with partial pivoting. */
export function invertMatrix(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[pivot * n + col])) pivot = r;
    if (Math.abs(m[pivot * n + col]) < 1e-300) throw new RampartError('INTERNAL', 'Covariance matrix is singular.');
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        [m[col * n + c], m[pivot * n + c]] = [m[pivot * n + c], m[col * n + c]];
        [inv[col * n + c], inv[pivot * n + c]] = [inv[pivot * n + c], inv[col * n + c]];
      }
    }
    const p = m[col * n + col];
    for (let c = 0; c < n; c++) {
      m[col * n + c] /= p;
      inv[col * n + c] /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * n + col];
      if (f === 0) continue;
      for (let c = 0; c < n; c++) {
        m[r * n + c] -= f * m[col * n + c];
        inv[r * n + c] -= f * inv[col * n + c];
      }
    }
  }
  return inv;
}

/** Fits class means and the shared covariance of features (rows) with labels. */
export function fitMahalanobis(features: Float64Array, dim: number, labels: Int32Array, numClasses: number): MahalanobisFit {
  const n = labels.length;
  const means = Array.from({ length: numClasses }, () => new Float64Array(dim));
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    counts[labels[i]]++;
    for (let d = 0; d < dim; d++) means[labels[i]][d] += features[i * dim + d];
  }
  for (let c = 0; c < numClasses; c++) if (counts[c]) for (let d = 0; d < dim; d++) means[c][d] /= counts[c];
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) centred[d] = features[i * dim + d] - means[labels[i]][d];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      for (let b = 0; b < dim; b++) cov[a * dim + b] += ca * centred[b];
    }
  }
  let trace = 0;
  for (let d = 0; d < dim; d++) trace += cov[d * dim + d] / n;
  for (let k = 0; k < dim * dim; k++) cov[k] /= n;
  const ridge = Math.max(1e-6 * (trace / Math.max(dim, 1)), 1e-12);
  for (let d = 0; d < dim; d++) cov[d * dim + d] += ridge;
  // Classes never seen in the fit data get an infinitely distant mean.
  for (let c = 0; c < numClasses; c++) if (!counts[c]) means[c].fill(Number.POSITIVE_INFINITY);
  return { means, precision: invertMatrix(cov, dim), dim };
}

/** −min_c Mahalanobis distance² of each feature row. */
export function mahalanobisScores(features: Float64Array, fit: MahalanobisFit): Float64Array {
  const { dim, precision, means } = fit;
  const n = features.length / dim;
  const scores = new Float64Array(n);
  const diff = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (const mean of means) {
      if (!Number.isFinite(mean[0])) continue;
      for (let d = 0; d < dim; d++) diff[d] = features[i * dim + d] - mean[d];
      let q = 0;
      for (let a = 0; a < dim; a++) {
        let row = 0;
        for (let b = 0; b < dim; b++) row += precision[a * dim + b] * diff[b];
        q += diff[a] * row;
      }
      best = Math.min(best, q);
    }
    scores[i] = -best;
  }
  return scores;
}

/** Synthetic OOD inputs: `uniform` U[0,1]^d, `noise` clip(N(0.5, 1)) per value (both scaled to the model bounds). */
export function syntheticOod(kind: 'noise' | 'uniform', count: number, sampleShape: readonly number[], random: Random, bounds: readonly [number, number] = [0, 1]): Float32Array {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * size);
  const [lo, hi] = bounds;
  for (let i = 0; i < out.length; i++) {
    const u = kind === 'uniform' ? random.next() : Math.min(1, Math.max(0, 0.5 + random.normal()));
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

export interface OodScoreSet {
  /** Scores per requested name (higher = more in-distribution); missing when unsupported. */
  scores: Partial<Record<OodScoreName, Float64Array>>;
  notes: Partial<Record<OodScoreName, string>>;
  logits: LogitMatrix;
}

export interface OodScoreOptions {
  odin?: OdinOptions;
  /** Mahalanobis fit (from `fitMahalanobisOnData`); required for the 'mahalanobis' score. */
  mahalanobis?: { fit: MahalanobisFit; extractor: { extract(x: Tensor): Tensor2D; dispose(): void; layer: string } } | { unsupported: string };
  batchSize?: number;
}

/** Fits Mahalanobis statistics on labelled in-distribution data, or says why it cannot. */
export async function fitMahalanobisOnData(model: Model, x: Float32Array, labels: Int32Array, sampleShape: readonly number[]): Promise<NonNullable<OodScoreOptions['mahalanobis']>> {
  const extractor = penultimateFeatures(model);
  if ('unsupported' in extractor) return extractor;
  try {
    const features = await collectFeatures(extractor, x, labels.length, sampleShape);
    return { fit: fitMahalanobis(features.values, features.dim, labels, model.numClasses), extractor };
  } catch (error) {
    extractor.dispose();
    throw error;
  }
}

/** Computes the requested scores for `count` samples. */
export async function oodScores(model: Model, x: Float32Array, count: number, names: readonly OodScoreName[], sampleShape: readonly number[] = model.inputShape, options: OodScoreOptions = {}): Promise<OodScoreSet> {
  const logits = await collectLogits(model, x, count, sampleShape, options.batchSize);
  const basic = logitScores(logits);
  const result: OodScoreSet = { scores: {}, notes: {}, logits };
  for (const name of names) {
    if (name === 'msp') result.scores.msp = basic.msp;
    else if (name === 'max-logit') result.scores['max-logit'] = basic.maxLogit;
    else if (name === 'energy') {
      result.scores.energy = basic.energy;
      result.notes.energy = 'T = 1';
    } else if (name === 'odin') {
      const odin = await odinScores(model, x, count, sampleShape, options.odin);
      result.scores.odin = odin.scores;
      result.notes.odin = odin.note;
    } else if (name === 'mahalanobis') {
      const m = options.mahalanobis;
      if (!m) result.notes.mahalanobis = 'unsupported: no fit data given';
      else if ('unsupported' in m) result.notes.mahalanobis = `unsupported: ${m.unsupported}`;
      else {
        const features = await collectFeatures(m.extractor, x, count, sampleShape);
        result.scores.mahalanobis = mahalanobisScores(features.values, m.fit);
        result.notes.mahalanobis = `class means + shared covariance of the features at ${m.extractor.layer}, no input preprocessing`;
      }
    } else {
      throw new RampartError('BAD_OPTION', `Unknown OOD score "${String(name)}"; choose from ${oodScoreNames.join(', ')}.`);
    }
  }
  return result;
}
