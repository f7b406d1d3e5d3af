/**
 * CLEVER: an attack-independent robustness score from the local Lipschitz constant, estimated with extreme value
 * theory. Weng, Zhang, Chen, Yi, Su, Gao, Hsieh & Daniel 2018, "Evaluating the Robustness of Neural Networks: An
 * Extreme Value Theory Approach" (ICLR, https://arxiv.org/abs/1801.10578), Algorithm 1.
 *
 * For an input x₀ of (predicted) class c and a target class j, with g(x) = z_c(x) − z_j(x):
 * draw `batches` × `samplesPerBatch` points uniformly in the L_p ball of radius R around x₀ (clipped to the
 * input bounds unless `clipToBounds` is false), keep each batch's largest dual norm ‖∇g‖_q (q = 2, 1, ∞ for
 * p = 2, ∞, 1), fit a reverse Weibull distribution to the batch maxima (clever-weibull.ts) and take its location
 * as the Lipschitz estimate L̂; the targeted score is min(g(x₀)/L̂, R). The untargeted score is the smallest
 * targeted score over the targets (`target: 'all'`, as in the paper) or, cheaper, for the runner-up class only.
 * It estimates a lower bound on the minimal adversarial distance; it is an estimate, not a certificate.
 *
 * Norms: l2, linf, l1. Knowledge: input gradients (white-box).
 *
 * @example
 * const scores = await cleverScores(model, x, { norm: 'l2', radius: 2, batches: 50, samplesPerBatch: 128 });
 * scores.samples[0].score; // e.g. 0.84 (L2)
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import { isDifferentiable, type DifferentiableModel, type Model } from '../engine/model.js';
import { createRandom, type Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { fitReverseWeibull, type ReverseWeibullFit } from './clever-weibull.js';

export const cleverOptionsSchema = z.object({
  norm: z.enum(['l2', 'linf', 'l1']).default('l2'),
  /** R: the radius of the sampling ball, and the cap on the score. */
  radius: z.number().positive().default(2),
  /** N_b: batches (one maximum each; the Weibull fit uses them). The paper uses 500. */
  batches: z.number().int().min(3).max(100_000).default(50),
  /** N_s: points per batch. The paper uses 1024. */
  samplesPerBatch: z.number().int().min(1).max(1_000_000).default(128),
  /** Targets: every other class (the paper's untargeted score), the runner-up class at x₀, or one class. */
  target: z.union([z.enum(['all', 'runner-up']), z.number().int().min(0)]).default('runner-up'),
  clipToBounds: z.boolean().default(true),
  /** Points per gradient batch (memory). */
  gradientBatch: z.number().int().min(1).max(100_000).default(256),
  seed: z.number().int().min(0).default(0),
});
export type CleverOptions = z.input<typeof cleverOptionsSchema>;
type ParsedCleverOptions = z.output<typeof cleverOptionsSchema>;

export interface CleverTarget {
  targetClass: number;
  /** g(x₀) = z_c − z_j. */
  margin: number;
  /** L̂: the fitted reverse-Weibull location of the batch maxima. */
  lipschitz: number;
  /** The largest gradient norm actually sampled. */
  maxSampled: number;
  /** min(g(x₀)/L̂, R). */
  score: number;
  fit: ReverseWeibullFit;
}

export interface CleverSample {
  index: number;
  predicted: number;
  /** The untargeted (or single-target) score: the smallest targeted score. */
  score: number;
  targets: CleverTarget[];
}

export interface CleverReport {
  method: 'clever';
  paper: string;
  options: ParsedCleverOptions;
  samples: CleverSample[];
  /** Mean score over inputs. */
  meanScore: number;
  seconds: number;
}

function dualNorm(values: Float32Array, offset: number, size: number, norm: ParsedCleverOptions['norm']): number {
  let out = 0;
  for (let i = offset; i < offset + size; i++) {
    const v = Math.abs(values[i]);
    if (norm === 'l2') out += v * v;
    else if (norm === 'linf') out += v; // dual of L∞ is L1
    else out = Math.max(out, v); // dual of L1 is L∞
  }
  return norm === 'l2' ? Math.sqrt(out) : out;
}

/** `count` points drawn uniformly from the L_p ball of radius r around `center`, written into `out`. */
export function sampleBall(center: Float32Array, count: number, r: number, norm: ParsedCleverOptions['norm'], random: Random, out: Float32Array): void {
  const d = center.length;
  for (let s = 0; s < count; s++) {
    const row = out.subarray(s * d, (s + 1) * d);
    if (norm === 'linf') {
      for (let i = 0; i < d; i++) row[i] = center[i] + r * (2 * random.next() - 1);
    } else if (norm === 'l2') {
      // A Gaussian direction, radius r·U^(1/d).
      let sq = 0;
      for (let i = 0; i < d; i++) {
        row[i] = random.normal();
        sq += row[i] * row[i];
      }
      const scale = (r * Math.pow(random.next(), 1 / d)) / Math.sqrt(sq);
      for (let i = 0; i < d; i++) row[i] = center[i] + scale * row[i];
    } else {
      // (e₁..e_d)/(e₁ + … + e_{d+1}) with exponential e is uniform in the simplex; random signs fill the L1 ball.
      let total = 0;
      for (let i = 0; i < d; i++) {
        row[i] = -Math.log(1 - random.next());
        total += row[i];
      }
      total += -Math.log(1 - random.next());
      for (let i = 0; i < d; i++) row[i] = center[i] + (random.next() < 0.5 ? -1 : 1) * (r * row[i]) / total;
    }
  }
}

/** Gradient of z_c − z_j w.r.t. each row of `points` (one (c, j) pair for all rows). */
function marginGradient(model: DifferentiableModel, points: Tensor, c: number, j: number): Tensor {
  return tf.tidy(() => {
    const weights = new Float32Array(model.numClasses);
    weights[c] = 1;
    weights[j] = -1;
    const w = tf.tensor1d(weights);
    return tf.grad((x: Tensor) => tf.sum(tf.matMul(model.logitsSync(x) as Tensor2D, tf.reshape(w, [-1, 1]))))(points);
  });
}

async function targetScore(
  model: DifferentiableModel,
  sample: Float32Array,
  c: number,
  j: number,
  margin: number,
  o: ParsedCleverOptions,
  random: Random,
): Promise<CleverTarget> {
  const size = sample.length;
  const maxima = new Float64Array(o.batches);
  const points = new Float32Array(o.samplesPerBatch * size);
  for (let b = 0; b < o.batches; b++) {
    sampleBall(sample, o.samplesPerBatch, o.radius, o.norm, random, points);
    if (o.clipToBounds) for (let i = 0; i < points.length; i++) points[i] = Math.min(model.bounds[1], Math.max(model.bounds[0], points[i]));
    let best = 0;
    for (let start = 0; start < o.samplesPerBatch; start += o.gradientBatch) {
      const count = Math.min(o.gradientBatch, o.samplesPerBatch - start);
      const x = tf.tensor(points.subarray(start * size, (start + count) * size), [count, ...model.inputShape]);
      const gradient = marginGradient(model, x, c, j);
      const values = (await gradient.data()) as Float32Array;
      tf.dispose([x, gradient]);
      for (let s = 0; s < count; s++) best = Math.max(best, dualNorm(values, s * size, size, o.norm));
    }
    maxima[b] = best;
  }
  const fit = fitReverseWeibull(maxima);
  const lipschitz = fit.location;
  return {
    targetClass: j,
    margin,
    lipschitz,
    maxSampled: maxima.reduce((m, v) => Math.max(m, v), 0),
    score: lipschitz > 0 ? Math.min(margin / lipschitz, o.radius) : o.radius,
    fit,
  };
}

/** CLEVER scores for `count` inputs (Rampart layout, row-major). */
export async function cleverScores(model: Model, x: Float32Array, count: number, options: CleverOptions = {}): Promise<CleverReport> {
  const parsed = cleverOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `CLEVER: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}. Example: { norm: 'l2', radius: 2 }.`, { issues: parsed.error.issues });
  }
  const o = parsed.data;
  if (!isDifferentiable(model)) {
    throw new RampartError('MODEL_UNSUPPORTED', `CLEVER needs input gradients, and ${model.id} is a black-box (forward-only) model. Load a TF.js model or an ONNX model with gradients.`, { model: model.id });
  }
  if (typeof o.target === 'number' && o.target >= model.numClasses) {
    throw new RampartError('BAD_OPTION', `CLEVER: target class ${o.target} does not exist; the model has ${model.numClasses} classes (0–${model.numClasses - 1}).`);
  }
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const started = performance.now();
  const master = createRandom(o.seed);
  const samples: CleverSample[] = [];
  for (let i = 0; i < count; i++) {
    const sample = x.subarray(i * size, (i + 1) * size);
    const input = tf.tensor(sample, [1, ...model.inputShape]);
    const logitsTensor = await model.logits(input);
    const logits = Float32Array.from((await logitsTensor.data()) as Float32Array);
    tf.dispose([input, logitsTensor]);
    let c = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k] > logits[c]) c = k;
    let targets: number[];
    if (o.target === 'all') targets = [...Array(model.numClasses).keys()].filter((k) => k !== c);
    else if (o.target === 'runner-up') {
      let r = c === 0 ? 1 : 0;
      for (let k = 0; k < logits.length; k++) if (k !== c && logits[k] > logits[r]) r = k;
      targets = [r];
    } else targets = o.target === c ? [] : [o.target];
    const random = master.fork();
    const results: CleverTarget[] = [];
    for (const j of targets) results.push(await targetScore(model, sample, c, j, logits[c] - logits[j], o, random.fork()));
    samples.push({ index: i, predicted: c, score: results.length === 0 ? o.radius : Math.min(...results.map((t) => t.score)), targets: results });
  }
  return {
    method: 'clever',
    paper: 'Weng et al. 2018, https://arxiv.org/abs/1801.10578',
    options: o,
    samples,
    meanScore: samples.length === 0 ? 0 : samples.reduce((s, r) => s + r.score, 0) / samples.length,
    seconds: (performance.now() - started) / 1000,
  };
}
