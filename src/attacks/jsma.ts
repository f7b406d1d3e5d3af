/**
 * JSMA — the Jacobian-based saliency map attack, an L0 attack that changes few input features to reach a target
 * class. Each iteration computes, at the current point, α = ∇ₓ Z_t (the target's logit) and β = ∇ₓ Σ_{j≠t} Z_j,
 * and over pairs (p, q) of features still in the search domain picks the pair maximising the saliency
 *   θ > 0 (increase features):  (α_p + α_q)·|β_p + β_q|  subject to α_p + α_q > 0 and β_p + β_q < 0
 *   θ < 0 (decrease features):  |α_p + α_q|·(β_p + β_q)  subject to α_p + α_q < 0 and β_p + β_q > 0
 * (both are −(α_p + α_q)(β_p + β_q) under their sign conditions), then moves both features by θ·(bounds width),
 * clipped to the bounds. A feature leaves the search domain once it reaches the bound it is pushed towards (the
 * domain starts as the features not already there). A sample stops when the model predicts the target, when no
 * pair satisfies the conditions, or after ⌊γ·D/2⌋ iterations (D features), so at most γ·D features change.
 *
 * Saliency uses logits (Rampart's model contract), with one forward/backward pass per iteration over two copies
 * of the active samples; the pair search runs over the outer sums α_p + α_q, β_p + β_q of the domain features in
 * plain loops (O(D²) per sample and iteration: 0.3 M pairs for MNIST).
 *
 * Paper: N. Papernot, P. McDaniel, S. Jha, M. Fredrikson, Z. B. Celik and A. Swami, "The Limitations of Deep
 * Learning in Adversarial Settings", IEEE EuroS&P 2016, https://arxiv.org/abs/1511.07528 (Algorithms 2 and 3:
 * saliency over feature pairs, θ = +1, γ as the maximum distortion).
 * Norm: l0 (the number of changed input values). Knowledge: gradients (white-box). Kind: minimization (greedy:
 * it stops at the first success, so the count of changed features is the size it reports; γ caps it).
 * Targeted: yes, as in the paper. Untargeted goals: each sample gets a target drawn uniformly from the classes
 * other than its label with the attack's seeded generator (the harness's `random` target selection does the same
 * explicitly), so the attack runs under any goal and the same seed gives the same targets.
 *
 * Returned per sample: the point where it stopped (at the target, or the last point when it gave up or hit the
 * cap; the harness re-verifies either way); samples already classified as their target are returned unchanged.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'jsma', options: { gamma: 0.1 } }], norm: 'l0',
 *   epsilons: [10, 20, 40, 78], goal: { kind: 'targeted', targets: 'random' } });
 * // MNIST MLP trained in jsma.test.ts, 20 digits, random targets: see the test's log for the success rate and median L0
 */
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import type { DifferentiableModel } from '../engine/model.js';
import type { Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { defineAttack } from './define.js';

export const jsmaOptions = z
  .object({
    /** Change applied to each selected feature, as a fraction of the bounds' width (negative decreases features). */
    theta: z
      .number()
      .min(-1)
      .max(1)
      .refine((v) => v !== 0, 'theta must be non-zero')
      .default(1),
    /** Maximum fraction of the input features that may change. */
    gamma: z.number().gt(0).max(1).default(0.1),
  })
  .strict();
export type JsmaOptions = z.output<typeof jsmaOptions>;

/** A uniform class other than `label`, from the seeded generator. */
function randomOtherClass(label: number, classes: number, random: Random): number {
  const draw = random.int(classes - 1);
  return draw >= label ? draw + 1 : draw;
}

/**
 * α = ∇Z_t and β = ∇Σ_{j≠t} Z_j for the given rows, with the logits, in one pass over two stacked copies.
 * Returns plain arrays ([na·D] each, [na·K] logits).
 */
function targetAndOtherGradients(model: DifferentiableModel, x: Tensor, targets: Int32Array): { alpha: Float32Array; beta: Float32Array; logits: Float32Array } {
  const na = targets.length;
  const k = model.numClasses;
  const weights = new Float32Array(2 * na * k);
  for (let a = 0; a < na; a++) {
    weights[a * k + targets[a]] = 1;
    for (let c = 0; c < k; c++) if (c !== targets[a]) weights[(na + a) * k + c] = 1;
  }
  let logits: Tensor | undefined;
  const gradient = tf.tidy(() => {
    const mask = tf.tensor2d(weights, [2 * na, k]);
    const stacked = tf.concat([x, x], 0);
    return tf.grad((input: Tensor) => {
      const z = model.logitsSync(input);
      logits = tf.keep(tf.slice(z, [0, 0], [na, k]));
      return tf.sum(tf.mul(z, mask));
    })(stacked);
  });
  const values = gradient.dataSync() as Float32Array;
  gradient.dispose();
  const logitValues = (logits as Tensor).dataSync() as Float32Array;
  (logits as Tensor).dispose();
  const half = values.length / 2;
  return { alpha: values.slice(0, half), beta: values.slice(half), logits: logitValues };
}

/**
 * The best pair (p, q), p < q, of domain features by the saliency map, or null when no pair meets the sign
 * conditions. `increase` selects the θ > 0 conditions.
 */
export function bestSaliencyPair(alpha: Float32Array, beta: Float32Array, domain: Uint8Array, increase: boolean): [number, number] | null {
  const features: number[] = [];
  for (let i = 0; i < domain.length; i++) if (domain[i]) features.push(i);
  let best = 0;
  let pair: [number, number] | null = null;
  const m = features.length;
  for (let a = 0; a < m; a++) {
    const p = features[a];
    const ap = alpha[p];
    const bp = beta[p];
    for (let b = a + 1; b < m; b++) {
      const q = features[b];
      const sumAlpha = ap + alpha[q];
      const sumBeta = bp + beta[q];
      const valid = increase ? sumAlpha > 0 && sumBeta < 0 : sumAlpha < 0 && sumBeta > 0;
      if (!valid) continue;
      const score = -sumAlpha * sumBeta;
      if (score > best) {
        best = score;
        pair = [p, q];
      }
    }
  }
  return pair;
}

export const jsma = defineAttack({
  id: 'jsma',
  title: 'Jacobian-based saliency map attack (JSMA, L0)',
  paper: 'Papernot et al. 2016, The Limitations of Deep Learning in Adversarial Settings, https://arxiv.org/abs/1511.07528',
  norms: ['l0'],
  requires: 'gradients',
  kind: 'minimization',
  targeted: true,
  options: jsmaOptions,
  async run(input, { model, random }, options) {
    const { x, labels, threat } = input;
    if (threat.norm !== 'l0') {
      throw new RampartError('BAD_OPTION', `jsma: norm "${threat.norm}" is not supported; jsma is an l0 attack (use --norm l0).`, { norm: threat.norm });
    }
    const n = x.shape[0];
    const classes = model.numClasses;
    if (classes < 2) throw new RampartError('BAD_OPTION', 'jsma: the model needs at least two classes.', {});
    if (labels.length !== n || (input.targets && input.targets.length !== n)) {
      throw new RampartError('BAD_OPTION', `jsma: labels/targets must have one entry per sample (batch of ${n}).`, {});
    }
    const targets = input.targets ?? Int32Array.from(labels, (y) => randomOtherClass(y, classes, random));
    const [low, high] = threat.bounds;
    const increase = options.theta > 0;
    const change = options.theta * (high - low);
    const sampleShape = x.shape.slice(1);
    const d = sampleShape.reduce((a, b) => a * b, 1);
    const maxIterations = Math.floor((options.gamma * d) / 2);

    const values = Float32Array.from(x.dataSync() as Float32Array);
    const domain = new Uint8Array(n * d);
    for (let i = 0; i < n * d; i++) domain[i] = Number(increase ? values[i] < high : values[i] > low);

    let active = Array.from({ length: n }, (_, i) => i);
    for (let iteration = 0; iteration <= maxIterations && active.length > 0; iteration++) {
      const rows = tf.tensor(
        (() => {
          const out = new Float32Array(active.length * d);
          active.forEach((i, a) => out.set(values.subarray(i * d, (i + 1) * d), a * d));
          return out;
        })(),
        [active.length, ...sampleShape],
      );
      const activeTargets = Int32Array.from(active, (i) => targets[i]);
      const { alpha, beta, logits } = targetAndOtherGradients(model, rows, activeTargets);
      rows.dispose();
      const next: number[] = [];
      active.forEach((i, a) => {
        const row = logits.subarray(a * classes, (a + 1) * classes);
        let predicted = 0;
        for (let c = 1; c < classes; c++) if (row[c] > row[predicted]) predicted = c;
        // At the target, or out of iterations: stop (the last pass only checks).
        if (predicted === targets[i] || iteration === maxIterations) return;
        const pair = bestSaliencyPair(alpha.subarray(a * d, (a + 1) * d), beta.subarray(a * d, (a + 1) * d), domain.subarray(i * d, (i + 1) * d), increase);
        if (!pair) return;
        for (const f of pair) {
          const index = i * d + f;
          values[index] = Math.min(high, Math.max(low, values[index] + change));
          if (increase ? values[index] >= high : values[index] <= low) domain[index] = 0;
        }
        next.push(i);
      });
      active = next;
    }
    return tf.tensor(values, x.shape);
  },
});
