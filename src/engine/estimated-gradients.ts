/**
 * Gradient estimation from forward passes: turns any score-only model into a `DifferentiableModel` whose
 * `lossAndGradient` estimates ∇ₓ L by finite differences along random directions, so every white-box attack can
 * run on a black box (at the price of 2·⌈samples/2⌉ + 1 forward queries per sample and step).
 *
 * - NES (Ilyas, Engstrom, Athalye & Lin, "Black-box Adversarial Attacks with Limited Queries and Information",
 *   ICML 2018, https://arxiv.org/abs/1804.08598): Gaussian directions u, ĝ = Σ_u (L(x+σu) − L(x−σu)) u / (2σ·q).
 * - SPSA (Spall 1992; as an attack: Uesato, O'Donoghue, van den Oord & Kohli, "Adversarial Risk and the Dangers
 *   of Evaluating Against Weak Attacks", ICML 2018, https://arxiv.org/abs/1802.05666): Rademacher (±1) directions,
 *   same antithetic estimator.
 * Both use antithetic pairs (u, −u): `samples` is the number of loss evaluations per estimate (rounded up to
 * even). All directions of a batch go through the model in one forward call. Randomness comes from `seed`
 * (and advances with every call, so repeated estimates differ but a run is reproducible).
 * `logitsSync` / `lossAndGradientSync` throw: estimation needs async forward passes.
 *
 * @example
 * const blackBox = withEstimatedGradients(queryModel(fn, { inputShape: [28, 28, 1], numClasses: 10, output: 'scores' }), { method: 'nes', samples: 50, sigma: 0.001 });
 * await attackBatch({ model: blackBox, attack: 'pgd', x, labels, threat: { norm: 'linf', epsilon: 0.3 } });
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D } from './tf.js';
import { losses, type LossName } from './losses.js';
import type { DifferentiableModel, LossAndGradient, Model } from './model.js';
import { createRandom } from './random.js';
import { RampartError } from '../errors.js';

export interface EstimatedGradientOptions {
  method?: 'nes' | 'spsa';
  /** Loss evaluations per gradient estimate (antithetic pairs: rounded up to even). Default 100. */
  samples?: number;
  /** Finite-difference step in input units. Default 0.001. */
  sigma?: number;
  seed?: number;
  /** Largest number of perturbed rows per forward call. Default 1000. */
  maxBatch?: number;
}

/** Wraps a (score) model so `lossAndGradient` estimates input gradients from forward passes only. */
export function withEstimatedGradients(
  model: Model,
  options: EstimatedGradientOptions = {},
): DifferentiableModel & { readonly forwardQueriesPerGradient: number } {
  const method = options.method ?? 'nes';
  const samples = options.samples ?? 100;
  const sigma = options.sigma ?? 0.001;
  const maxBatch = options.maxBatch ?? 1000;
  const problems: string[] = [];
  if (method !== 'nes' && method !== 'spsa') problems.push(`method must be 'nes' or 'spsa', got "${String(method)}"`);
  if (!Number.isInteger(samples) || samples < 2) problems.push(`samples must be an integer ≥ 2, got ${samples}`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) problems.push(`sigma must be a finite number > 0, got ${sigma}`);
  if (!Number.isInteger(maxBatch) || maxBatch < 2) problems.push(`maxBatch must be an integer ≥ 2, got ${maxBatch}`);
  if (problems.length > 0) throw new RampartError('BAD_OPTION', `withEstimatedGradients: ${problems.join('; ')}.`, { problems });
  const pairs = Math.ceil(samples / 2);
  const random = createRandom(options.seed ?? 0);
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const [low, high] = model.bounds;

  const lossOf = (logits: Tensor2D, labels: Tensor1D, loss: LossName, targets?: Tensor1D): Tensor1D => losses[loss](logits, labels, targets);

  const noSync = (what: string): never => {
    throw new RampartError('BAD_OPTION', `${what} is not available on ${model.id} with estimated gradients (forward passes are async); use the async lossAndGradient / logits (every built-in attack does).`);
  };

  return {
    // Forward queries one estimate costs per sample (the antithetic pairs plus the pass at x); the harness
    // adds them to its forward count so query totals cover what the black box really answered.
    forwardQueriesPerGradient: 2 * pairs + 1,
    id: model.id,
    format: model.format,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    bounds: model.bounds,
    logits: (x) => model.logits(x),
    dispose: () => model.dispose(),
    logitsSync: () => noSync('logitsSync'),
    lossAndGradientSync: () => noSync('lossAndGradientSync'),
    async lossAndGradient(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): Promise<LossAndGradient> {
      const n = x.shape[0];
      const base = (await x.data()) as Float32Array;
      const labelValues = (await labels.data()) as Int32Array | Float32Array;
      const targetValues = targets ? ((await targets.data()) as Int32Array | Float32Array) : undefined;
      const gradient = new Float32Array(n * size);
      // directions for every (sample, pair), drawn in a fixed order
      const directions = new Float32Array(n * pairs * size);
      for (let i = 0; i < directions.length; i++) directions[i] = method === 'nes' ? random.normal() : random.next() < 0.5 ? -1 : 1;
      const rowsTotal = n * pairs * 2;
      const lossValues = new Float32Array(rowsTotal);
      const chunk = Math.max(2, maxBatch - (maxBatch % 2));
      for (let start = 0; start < rowsTotal; start += chunk) {
        const count = Math.min(chunk, rowsTotal - start);
        const rows = new Float32Array(count * size);
        const rowLabels = new Int32Array(count);
        const rowTargets = new Int32Array(count);
        for (let r = 0; r < count; r++) {
          const global = start + r;
          const pair = global >> 1;
          const sign = global % 2 === 0 ? 1 : -1;
          const sample = Math.floor(pair / pairs);
          const offset = r * size;
          for (let k = 0; k < size; k++) {
            const v = base[sample * size + k] + sign * sigma * directions[pair * size + k];
            // stay in bounds: the model's contract only covers inputs within them
            rows[offset + k] = v < low ? low : v > high ? high : v;
          }
          rowLabels[r] = labelValues[sample];
          rowTargets[r] = targetValues ? targetValues[sample] : 0;
        }
        const xs = tf.tensor(rows, [count, ...model.inputShape], 'float32');
        const logits = await model.logits(xs);
        xs.dispose();
        const values = tf.tidy(() => lossOf(logits, tf.tensor1d(rowLabels, 'int32'), loss, targetValues ? tf.tensor1d(rowTargets, 'int32') : undefined));
        logits.dispose();
        lossValues.set((await values.data()) as Float32Array, start);
        values.dispose();
      }
      for (let p = 0; p < n * pairs; p++) {
        const sample = Math.floor(p / pairs);
        const weight = (lossValues[2 * p] - lossValues[2 * p + 1]) / (2 * sigma * pairs);
        if (weight === 0) continue;
        for (let k = 0; k < size; k++) gradient[sample * size + k] += weight * directions[p * size + k];
      }
      const logits = await model.logits(x);
      const lossAtX = tf.tidy(() => lossOf(logits, labels, loss, targets));
      return { loss: lossAtX, gradient: tf.tensor(gradient, x.shape, 'float32'), logits };
    },
  };
}
