/**
 * Explanations of failures: attribution maps for the same inputs clean, adversarial (an attack through the
 * harness, so every adversarial example is re-verified) and corrupted (a registered corruption), the class each
 * variant is classified as, how much the explanation moved away from the clean one, and PNG images for the audit
 * report's gallery (one file per input and variant, plus one overview grid).
 *
 * Saliency images: |attribution| summed over channels, scaled by the 99th percentile of that map, drawn with a
 * black–red–yellow–white heat scale. For Integrated Gradients, the completeness gap |Σ attributions − (S(x) −
 * S(x'))| / |S(x) − S(x')| is reported per input.
 *
 * @example
 * const variants = await buildVariants(model, x, labels, shape, { attack: { id: 'pgd', threat: { norm: 'linf', epsilon: 0.1 } } });
 * const result = await explainVariants(model, variants, labels, shape, { method: 'integrated-gradients' });
 * writeExplanationImages('explain/', result);
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PNG } from 'pngjs';
import { tf } from '../../engine/tf.js';
import { isDifferentiable, type DifferentiableModel, type Model } from '../../engine/model.js';
import { createRandom } from '../../engine/random.js';
import { RampartError } from '../../errors.js';
import { attackBatch } from '../../attacks/harness.js';
import type { ThreatModelInput } from '../../threat/threat-model.js';
import { corruptionRegistry } from '../../corruptions/builtin.js';
import type { ImageShape } from '../../corruptions/define.js';
import { parseExplainerOptions, scoreOutputs } from './define.js';
import { explainerRegistry } from './builtin.js';

export type VariantName = 'clean' | 'adversarial' | 'corrupted';

export interface ExplanationVariant {
  name: VariantName;
  /** What produced it: "clean", "pgd linf ε=0.1", "fog severity 3". */
  description: string;
  /** Inputs, row-major, Rampart layout. */
  x: Float32Array;
  /** For adversarial inputs: whether the attack succeeded (verified by the harness) on each input. */
  attackSuccess?: boolean[];
}

export interface BuildVariantsOptions {
  attack?: { id: string; threat: ThreatModelInput; options?: Record<string, unknown> };
  corruption?: { id: string; severity: number };
  seed?: number;
}

/** The clean inputs plus their adversarial and corrupted versions, as requested. */
export async function buildVariants(
  model: Model,
  x: Float32Array,
  labels: Int32Array,
  sampleShape: readonly number[],
  options: BuildVariantsOptions,
): Promise<ExplanationVariant[]> {
  const count = labels.length;
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const variants: ExplanationVariant[] = [{ name: 'clean', description: 'clean', x }];
  if (options.attack) {
    const clean = tf.tensor(x.subarray(0, count * size), [count, ...sampleShape]);
    try {
      const result = await attackBatch({ model, attack: options.attack.id, options: options.attack.options, x: clean, labels, threat: options.attack.threat, seed: options.seed ?? 0 });
      const adversarial = Float32Array.from((await result.xAdv.data()) as Float32Array);
      result.xAdv.dispose();
      const t = options.attack.threat;
      variants.push({ name: 'adversarial', description: `${options.attack.id} ${t.norm} ε=${t.epsilon}`, x: adversarial, attackSuccess: [...result.success].map((s) => s === 1) });
    } finally {
      clean.dispose();
    }
  }
  if (options.corruption) {
    if (sampleShape.length !== 3) throw new RampartError('BAD_OPTION', `Corruptions apply to images [H, W, C]; this model takes [${sampleShape.join(', ')}]. Drop --corruption.`);
    const corruption = corruptionRegistry.get(options.corruption.id);
    const random = createRandom(options.seed ?? 0);
    const shape: ImageShape = [sampleShape[0], sampleShape[1], sampleShape[2]];
    const corrupted = new Float32Array(count * size);
    for (let i = 0; i < count; i++) {
      corrupted.set(corruption.apply(x.subarray(i * size, (i + 1) * size), shape, options.corruption.severity, random.fork()), i * size);
    }
    variants.push({ name: 'corrupted', description: `${corruption.id} severity ${options.corruption.severity}`, x: corrupted });
  }
  return variants;
}

export const explainOptionsSchema = z.object({
  method: z.string().default('integrated-gradients'),
  /** Options of the method (checked by its schema). */
  methodOptions: z.record(z.unknown()).default({}),
  /** The score explained. */
  output: z.enum(scoreOutputs).default('logit'),
  /** Which class each variant's attribution explains: the class the model predicts for it, or the true label. */
  explainClass: z.enum(['predicted', 'label']).default('predicted'),
  seed: z.number().int().min(0).default(0),
});
export type ExplainOptions = z.input<typeof explainOptionsSchema>;

export interface ExplainedInput {
  index: number;
  label: number;
  predicted: number;
  /** The class whose score was explained. */
  explainedClass: number;
  /** The explained score at the input. */
  score: number;
  /** Σ attributions. */
  attributionSum: number;
  /** Path methods: S(x) − S(baseline), and the relative completeness gap |Σ − that| / |that|. */
  expectedSum?: number;
  completenessGap?: number;
  /** Adversarial variant: whether the verified attack succeeded on this input. */
  attackSuccess?: boolean;
  /** Cosine similarity of this saliency map (|attribution| per pixel) to the clean one (1 = unchanged). */
  similarityToClean?: number;
  /** The saliency map: |attribution| summed over channels, [H·W] (or [F]). */
  saliency: Float32Array;
  /** Signed attributions, row-major, the input's layout. */
  attributions: Float32Array;
}

export interface ExplainedVariant {
  name: VariantName;
  description: string;
  accuracy: number;
  inputs: ExplainedInput[];
  /** The variant's inputs (for the images). */
  x: Float32Array;
}

export interface ExplanationResult {
  method: string;
  methodTitle: string;
  paper: string;
  methodOptions: unknown;
  output: 'logit' | 'probability';
  explainClass: 'predicted' | 'label';
  sampleShape: number[];
  variants: ExplainedVariant[];
  seconds: number;
}

function requireGradients(model: Model): DifferentiableModel {
  if (!isDifferentiable(model)) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `Explanations need input gradients, and ${model.id} is a black-box (forward-only) model. Load a TF.js model or an ONNX model without forwardOnly.`,
      { model: model.id },
    );
  }
  return model;
}

function saliencyOf(attributions: Float32Array, sampleShape: readonly number[]): Float32Array {
  const channels = sampleShape.length === 3 ? sampleShape[2] : 1;
  const pixels = attributions.length / channels;
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[p] += Math.abs(attributions[p * channels + c]);
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Attributions for every variant of every input with one method. */
export async function explainVariants(
  model: Model,
  variants: readonly ExplanationVariant[],
  labels: Int32Array,
  sampleShape: readonly number[],
  rawOptions: ExplainOptions,
): Promise<ExplanationResult> {
  const white = requireGradients(model);
  const parsed = explainOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new RampartError('BAD_OPTION', `explainVariants: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
  const options = parsed.data;
  const definition = explainerRegistry.get(options.method);
  const methodOptions = parseExplainerOptions(definition, options.methodOptions);
  const count = labels.length;
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const random = createRandom(options.seed);
  const started = performance.now();
  const explained: ExplainedVariant[] = [];
  for (const variant of variants) {
    const x = tf.tensor(variant.x.subarray(0, count * size), [count, ...sampleShape]);
    try {
      const logits = await white.logits(x);
      const logitValues = (await logits.data()) as Float32Array;
      const predictedTensor = tf.argMax(logits, 1);
      const predicted = Int32Array.from((await predictedTensor.data()) as Int32Array);
      tf.dispose([logits, predictedTensor]);
      const classes = options.explainClass === 'label' ? Int32Array.from(labels) : predicted;
      const { attributions, expectedSum } = definition.attribute({ model: white, x, classes, output: options.output, random: random.fork() }, methodOptions);
      const values = Float32Array.from((await attributions.data()) as Float32Array);
      attributions.dispose();
      const probabilities = options.output === 'probability' ? tf.tidy(() => tf.softmax(tf.tensor2d(logitValues, [count, white.numClasses])).dataSync() as Float32Array) : logitValues;
      const inputs: ExplainedInput[] = [];
      for (let i = 0; i < count; i++) {
        const row = values.slice(i * size, (i + 1) * size);
        const attributionSum = row.reduce((s, v) => s + v, 0);
        const input: ExplainedInput = {
          index: i,
          label: labels[i],
          predicted: predicted[i],
          explainedClass: classes[i],
          score: probabilities[i * white.numClasses + classes[i]],
          attributionSum,
          saliency: saliencyOf(row, sampleShape),
          attributions: row,
        };
        if (expectedSum) {
          input.expectedSum = expectedSum[i];
          input.completenessGap = Math.abs(attributionSum - expectedSum[i]) / Math.max(Math.abs(expectedSum[i]), 1e-12);
        }
        if (variant.attackSuccess) input.attackSuccess = variant.attackSuccess[i];
        inputs.push(input);
      }
      explained.push({ name: variant.name, description: variant.description, accuracy: inputs.filter((r) => r.predicted === r.label).length / Math.max(count, 1), inputs, x: variant.x });
    } finally {
      x.dispose();
    }
  }
  const clean = explained.find((v) => v.name === 'clean');
  if (clean) for (const v of explained) if (v !== clean) v.inputs.forEach((r, i) => (r.similarityToClean = cosine(r.saliency, clean.inputs[i].saliency)));
  return {
    method: definition.id,
    methodTitle: definition.title,
    paper: definition.paper,
    methodOptions,
    output: options.output,
    explainClass: options.explainClass,
    sampleShape: [...sampleShape],
    variants: explained,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface ExplainedVariantSummary {
  name: VariantName;
  description: string;
  accuracy: number;
  /** Adversarial variant: fraction of inputs the verified attack broke. */
  attackSuccessRate?: number;
  /** Mean cosine similarity of the saliency maps to the clean ones (absent for clean). */
  meanSimilarityToClean?: number;
  /** Path methods: mean relative completeness gap. */
  meanCompletenessGap?: number;
}

const meanOf = (values: number[]): number | undefined => (values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length);

/** Per variant of an explanation: accuracy, attack success, mean similarity to clean, mean completeness gap. */
export function summarizeVariants(result: ExplanationResult): ExplainedVariantSummary[] {
  return result.variants.map((v) => {
    const summary: ExplainedVariantSummary = { name: v.name, description: v.description, accuracy: v.accuracy };
    const successes = v.inputs.flatMap((r) => (r.attackSuccess === undefined ? [] : [r.attackSuccess ? 1 : 0]));
    const similarity = meanOf(v.inputs.flatMap((r) => (r.similarityToClean === undefined ? [] : [r.similarityToClean])));
    const gap = meanOf(v.inputs.flatMap((r) => (r.completenessGap === undefined ? [] : [r.completenessGap])));
    if (successes.length > 0) summary.attackSuccessRate = meanOf(successes);
    if (similarity !== undefined) summary.meanSimilarityToClean = similarity;
    if (gap !== undefined) summary.meanCompletenessGap = gap;
    return summary;
  });
}

/** The heat scale: black → red → yellow → white for t in [0, 1]. */
function heat(t: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, t));
  return [Math.min(1, 3 * v), Math.min(1, Math.max(0, 3 * v - 1)), Math.min(1, Math.max(0, 3 * v - 2))];
}

/** A saliency map as an RGB [H, W, 3] image in [0, 1], scaled by its 99th percentile. */
export function saliencyImage(saliency: Float32Array, height: number, width: number): Float32Array {
  const sorted = Float32Array.from(saliency).sort();
  const scale = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] || sorted[sorted.length - 1] || 1;
  const out = new Float32Array(height * width * 3);
  for (let p = 0; p < height * width; p++) out.set(heat(saliency[p] / scale), p * 3);
  return out;
}

/** An input image [H, W, C] (C = 1 or 3) as RGB [H, W, 3] in [0, 1], rescaled from the model's bounds. */
export function toRgb(image: Float32Array, shape: readonly number[], bounds: readonly [number, number]): Float32Array {
  const [h, w, c] = shape;
  const out = new Float32Array(h * w * 3);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) out[p * 3 + k] = (image[p * c + (c === 3 ? k : 0)] - bounds[0]) / (bounds[1] - bounds[0]);
  return out;
}

function pngOf(images: Float32Array[], h: number, w: number, columns: number, zoom: number): Buffer {
  const cols = Math.max(1, Math.min(columns, images.length));
  const rows = Math.max(1, Math.ceil(images.length / cols));
  const width = cols * (w * zoom + 1) + 1;
  const height = rows * (h * zoom + 1) + 1;
  const png = new PNG({ width, height });
  png.data.fill(255);
  images.forEach((image, k) => {
    const ox = (k % cols) * (w * zoom + 1) + 1;
    const oy = Math.floor(k / cols) * (h * zoom + 1) + 1;
    for (let y = 0; y < h * zoom; y++)
      for (let x = 0; x < w * zoom; x++) {
        const p = Math.floor(y / zoom) * w + Math.floor(x / zoom);
        const o = ((oy + y) * width + ox + x) * 4;
        for (let ch = 0; ch < 3; ch++) png.data[o + ch] = Math.round(Math.min(1, Math.max(0, image[p * 3 + ch])) * 255);
        png.data[o + 3] = 255;
      }
  });
  return PNG.sync.write(png);
}

export interface ExplanationImages {
  /** The overview grid: one row per input, columns (input, saliency) per variant. */
  gallery: string;
  /** Per input and variant: the input image and its saliency image (paths relative to the folder). */
  files: { index: number; variant: VariantName; input: string; saliency: string }[];
}

/** Writes the PNGs into `dir` (created); image models only ([H, W, C]). */
export function writeExplanationImages(dir: string, result: ExplanationResult, bounds: readonly [number, number] = [0, 1], zoom = 4): ExplanationImages {
  if (result.sampleShape.length !== 3) {
    throw new RampartError('BAD_OPTION', `Saliency images need image inputs [H, W, C]; this model takes [${result.sampleShape.join(', ')}]. Read the attributions from the JSON instead.`);
  }
  const [h, w] = result.sampleShape;
  const size = result.sampleShape.reduce((a, b) => a * b, 1);
  fs.mkdirSync(dir, { recursive: true });
  const files: ExplanationImages['files'] = [];
  const grid: Float32Array[] = [];
  const count = result.variants[0]?.inputs.length ?? 0;
  for (let i = 0; i < count; i++) {
    for (const variant of result.variants) {
      const input = toRgb(variant.x.subarray(i * size, (i + 1) * size), result.sampleShape, bounds);
      const saliency = saliencyImage(variant.inputs[i].saliency, h, w);
      const inputFile = `input-${i}-${variant.name}.png`;
      const saliencyFile = `${result.method}-${i}-${variant.name}.png`;
      fs.writeFileSync(path.join(dir, inputFile), pngOf([input], h, w, 1, zoom));
      fs.writeFileSync(path.join(dir, saliencyFile), pngOf([saliency], h, w, 1, zoom));
      files.push({ index: i, variant: variant.name, input: inputFile, saliency: saliencyFile });
      grid.push(input, saliency);
    }
  }
  const gallery = `${result.method}-gallery.png`;
  fs.writeFileSync(path.join(dir, gallery), pngOf(grid, h, w, 2 * result.variants.length, zoom));
  return { gallery, files };
}
