/**
 * Feature-level sensitivity: how much do accuracy and the model's output move when one input feature (tabular
 * data, or single pixels) is nudged by ±`amount`, or one image patch is occluded? Per unit (feature or patch):
 * - accuracyDrop: clean accuracy − mean accuracy over the unit's variants;
 * - outputVariance: mean over samples of the variance, across {clean, variants}, of the probability of the true
 *   class;
 * - meanProbabilityChange: mean |p_true(variant) − p_true(clean)|.
 * Units are ranked by accuracy drop, then output variance; images also get the heatmap grid of both.
 *
 * References: Zeiler & Fergus 2014 (occlusion), https://arxiv.org/abs/1311.2901; one-at-a-time sensitivity
 * analysis (Saltelli et al., "Global Sensitivity Analysis: The Primer", 2008).
 *
 * @example
 * const result = await featureSensitivity({ model, data, mode: 'features', amount: 0.1 });
 * result.ranking[0]; // { unit: 21, name: 'worst_texture', accuracyDrop: ..., outputVariance: ... }
 */
import { z } from 'zod';
import { tf } from '../../engine/tf.js';
import type { Model } from '../../engine/model.js';
import type { Dataset } from '../../data/dataset.js';
import { loadAll } from '../../data/load-all.js';
import { checkDataFitsModel } from '../../metrics/accuracy.js';
import { RampartError } from '../../errors.js';

export const featureSensitivityOptionsSchema = z
  .object({
    /** features: nudge each feature by ±amount; occlusion: fill each patch (images only). */
    mode: z.enum(['features', 'occlusion']).default('features'),
    /** Size of the ± nudge (input units), features mode. */
    amount: z.number().positive().finite().default(0.1),
    /** Patch side in pixels, occlusion mode. */
    patch: z.number().int().positive().default(4),
    /** Patch stride in pixels (default: the patch side). */
    stride: z.number().int().positive().optional(),
    /** Occluding value: a number, or 'mean' (the mean value of the data). */
    fill: z.union([z.number().finite(), z.literal('mean')]).default(0),
    /** Use at most this many samples. */
    limit: z.number().int().positive().optional(),
    batchSize: z.number().int().positive().default(256),
    /** Names of the features (tabular data), for the table. */
    names: z.array(z.string()).optional(),
  })
  .strict();
export type FeatureSensitivityOptions = z.input<typeof featureSensitivityOptionsSchema>;

export interface SensitivityUnit {
  /** Feature index, or patch index (row-major over the patch grid). */
  unit: number;
  name: string;
  accuracyDrop: number;
  outputVariance: number;
  meanProbabilityChange: number;
}

export interface FeatureSensitivityResult {
  mode: 'features' | 'occlusion';
  settings: { amount?: number; patch?: number; stride?: number; fill?: number };
  samples: number;
  cleanAccuracy: number;
  /** Every unit, in unit order. */
  units: SensitivityUnit[];
  /** Units sorted by accuracy drop, then output variance (largest first). */
  ranking: SensitivityUnit[];
  /** Heatmaps over the image grid (features mode on images: pixels, channel-max; occlusion: the patch grid). */
  heatmap?: { rows: number; cols: number; accuracyDrop: number[][]; outputVariance: number[][] };
  seconds: number;
}

/** Softmax probability of the true class per sample, from a forward pass over row-major samples. */
async function trueClassProbabilities(model: Model, x: Float32Array, y: Int32Array, shape: readonly number[], batchSize: number): Promise<{ p: Float64Array; correct: Uint8Array }> {
  const size = shape.reduce((a, b) => a * b, 1);
  const n = y.length;
  const p = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const input = tf.tensor(x.subarray(start * size, (start + count) * size), [count, ...shape]);
    const logits = await model.logits(input);
    input.dispose();
    const probabilities = tf.softmax(logits);
    logits.dispose();
    const values = (await probabilities.data()) as Float32Array;
    const classes = probabilities.shape[1] as number;
    probabilities.dispose();
    for (let i = 0; i < count; i++) {
      const label = y[start + i];
      let best = 0;
      for (let c = 1; c < classes; c++) if (values[i * classes + c] > values[i * classes + best]) best = c;
      p[start + i] = values[i * classes + label];
      correct[start + i] = best === label ? 1 : 0;
    }
  }
  return { p, correct };
}

export async function featureSensitivity(options: FeatureSensitivityOptions & { model: Model; data: Dataset; onProgress?: (done: number, total: number) => void }): Promise<FeatureSensitivityResult> {
  const { model, data, onProgress, ...rest } = options;
  const parsed = featureSensitivityOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `featureSensitivity: invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}.`, {});
  }
  const config = parsed.data;
  checkDataFitsModel(model, data);
  const started = performance.now();
  const all = await loadAll(data);
  const n = Math.min(all.count, config.limit ?? all.count);
  const shape = data.sampleShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const x = all.x.subarray(0, n * size);
  const y = all.y.subarray(0, n);
  const [low, high] = model.bounds;
  const clean = await trueClassProbabilities(model, x, y, shape, config.batchSize);
  const cleanAccuracy = clean.correct.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const image = shape.length === 3;
  if (config.mode === 'occlusion' && !image) {
    throw new RampartError('BAD_OPTION', `featureSensitivity: occlusion needs image samples [H, W, C], got [${shape.join(', ')}]; use mode 'features' for tabular data.`, {});
  }

  // each unit is a list of variants, each variant a function that edits one sample row in place
  type Edit = (row: Float32Array, original: Float32Array) => void;
  const units: { name: string; variants: Edit[] }[] = [];
  const [h, w, c] = image ? shape : [1, size, 1];
  const stride = config.stride ?? config.patch;
  let grid: { rows: number; cols: number } | undefined;
  if (config.mode === 'features') {
    for (let j = 0; j < size; j++) {
      const name = config.names?.[j] ?? (image ? `pixel (${Math.floor(j / (w * c))}, ${Math.floor(j / c) % w}${c > 1 ? `, ${j % c}` : ''})` : `feature ${j}`);
      units.push({
        name,
        variants: [+1, -1].map((sign) => (row: Float32Array, original: Float32Array) => {
          row[j] = Math.min(high, Math.max(low, original[j] + sign * config.amount));
        }),
      });
    }
    if (image) grid = { rows: h, cols: w };
  } else {
    let fill = typeof config.fill === 'number' ? config.fill : 0;
    if (config.fill === 'mean') fill = x.reduce((a, v) => a + v, 0) / Math.max(x.length, 1);
    const rows = Math.floor((h - config.patch) / stride) + 1;
    const cols = Math.floor((w - config.patch) / stride) + 1;
    if (rows < 1 || cols < 1) throw new RampartError('BAD_OPTION', `featureSensitivity: a ${config.patch}-pixel patch does not fit ${h}×${w} images; use a smaller --patch.`, {});
    grid = { rows, cols };
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        const top = r * stride;
        const left = q * stride;
        units.push({
          name: `patch rows ${top}–${top + config.patch - 1}, cols ${left}–${left + config.patch - 1}`,
          variants: [
            (row: Float32Array) => {
              for (let yy = top; yy < top + config.patch; yy++) for (let xx = left; xx < left + config.patch; xx++) for (let k = 0; k < c; k++) row[(yy * w + xx) * c + k] = fill;
            },
          ],
        });
      }
    }
  }

  const results: SensitivityUnit[] = [];
  const perturbed = new Float32Array(x.length);
  for (let u = 0; u < units.length; u++) {
    const unit = units[u];
    let accuracySum = 0;
    const sum = Float64Array.from(clean.p);
    const sumSquares = Float64Array.from(clean.p, (v) => v * v);
    let changeSum = 0;
    for (const edit of unit.variants) {
      perturbed.set(x);
      for (let i = 0; i < n; i++) edit(perturbed.subarray(i * size, (i + 1) * size), x.subarray(i * size, (i + 1) * size));
      const out = await trueClassProbabilities(model, perturbed, y, shape, config.batchSize);
      accuracySum += out.correct.reduce((a, b) => a + b, 0) / Math.max(n, 1);
      for (let i = 0; i < n; i++) {
        sum[i] += out.p[i];
        sumSquares[i] += out.p[i] * out.p[i];
        changeSum += Math.abs(out.p[i] - clean.p[i]);
      }
    }
    const m = unit.variants.length + 1;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += Math.max(0, sumSquares[i] / m - (sum[i] / m) ** 2);
    results.push({
      unit: u,
      name: unit.name,
      accuracyDrop: cleanAccuracy - accuracySum / unit.variants.length,
      outputVariance: variance / Math.max(n, 1),
      meanProbabilityChange: changeSum / Math.max(n * unit.variants.length, 1),
    });
    onProgress?.(u + 1, units.length);
  }
  const ranking = [...results].sort((a, b) => b.accuracyDrop - a.accuracyDrop || b.outputVariance - a.outputVariance);
  let heatmap: FeatureSensitivityResult['heatmap'];
  if (grid) {
    const g = grid;
    const make = (pick: (s: SensitivityUnit) => number) =>
      Array.from({ length: g.rows }, (_, r) =>
        Array.from({ length: g.cols }, (_, q) => {
          if (config.mode === 'occlusion') return pick(results[r * g.cols + q]);
          let best = -Infinity;
          for (let k = 0; k < c; k++) best = Math.max(best, pick(results[(r * w + q) * c + k]));
          return best;
        }),
      );
    heatmap = { rows: g.rows, cols: g.cols, accuracyDrop: make((s) => s.accuracyDrop), outputVariance: make((s) => s.outputVariance) };
  }
  return {
    mode: config.mode,
    settings: config.mode === 'features' ? { amount: config.amount } : { patch: config.patch, stride, fill: typeof config.fill === 'number' ? config.fill : undefined },
    samples: n,
    cleanAccuracy,
    units: results,
    ranking,
    heatmap,
    seconds: (performance.now() - started) / 1000,
  };
}
