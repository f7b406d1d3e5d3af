/**
 * Carlini & Wagner attacks — minimal-perturbation attacks that optimise with Adam. `cw-l2` uses the paper's change
 * of variables x' = c + h·tanh(w) (c, h the centre and half-width of `threat.bounds`), so every iterate is inside
 * the bounds without clipping; `cw-linf` projects instead by default (see below). Both use the margin objective
 * on logits Z (κ the confidence):
 *   untargeted  f(x') = max(Z_y − max_{j≠y} Z_j, −κ)        targeted  f(x') = max(max_{j≠t} Z_j − Z_t, −κ)
 * and count an iterate as adversarial when the margin exceeds κ (max_{j≠y} Z_j − Z_y > κ, or Z_t − max_{j≠t} Z_j > κ).
 *
 * `cw-l2` minimises ‖x' − x‖₂² + c·f(x') for a per-sample constant c found by binary search (Section V of the
 * paper): `binarySearchSteps` outer steps from `initialConst`; after an outer step c moves down (bisection) where an
 * adversarial iterate was found and up (bisection, or ×10 while no upper bound is known) where none was. Each
 * outer step restarts Adam (learning rate `learningRate`, default 0.01) from x and runs up to `steps` iterations,
 * aborting early when the total loss has not decreased by 0.01% over the last `steps/10` iterations. The smallest-L2
 * adversarial iterate of every sample is kept.
 *
 * `cw-linf` follows the paper's iterative L∞ attack (Section VI): minimise c·max(f(x') + κ, 0) + Σᵢ max(|x'ᵢ − xᵢ| − τ, 0)
 * for a threshold τ that shrinks while the attack succeeds. One round runs up to `steps` Adam iterations from the
 * last successful point (warm start); a sample's round ends as soon as it succeeds. After a successful round
 * τ ← `decreaseFactor`·min(τ, ‖δ‖∞); after a failed one c doubles (up to `largestConst`).
 * Documented differences from the paper, for speed and precision:
 * - box constraint (`space`): by default Adam optimises δ itself and projects x + δ back into the bounds after each
 *   step (the paper's "projected gradient descent" alternative, Section VI.A). With the tanh change of variables
 *   (`space: 'tanh'`, as in the paper) inputs on a bound, most MNIST pixels, start at atanh(±0.999999) ≈ ±7.25
 *   where the tanh is flat, and stay frozen for hundreds of Adam steps; an L∞ attack needs exactly those pixels.
 *   On builtin:mnist-cnn (19 digits) tanh reached 42% of them in 219 s, projection 100% (median L∞ 0.118) in 47 s.
 * - before a sample's first success, a failed round continues from where it stopped instead of restarting at x.
 * - success test: the paper stops a round when the loss is below 10⁻⁴·c, which needs every |δᵢ| ≤ τ at once;
 *   Adam keeps the coordinates pressed against the box jittering across its faces, so near the smallest feasible
 *   τ that rarely happens and rounds fail that should succeed. Here a round succeeds when the iterate projected
 *   onto the τ box, x + clip(δ, −τ, τ), is adversarial (one extra forward pass per iteration).
 * - τ search: the paper retries a failed τ with c doubled until c exceeds 20 and then stops at the last success, so
 *   its answer is only known to within the factor 1/0.9 and the final failures cost up to 21 full rounds; here a
 *   failed τ becomes a lower bound and the next τ bisects between it and the smallest success, stopping when the
 *   bracket is within `tolerance` (relative), or after `maxRounds` rounds.
 * - final search (`refineSteps`, 0 turns it off): Adam leaves the coordinates of the best point scattered around
 *   the level τ (some above, some short of it), so two one-dimensional bisections follow, over t ≤ ‖δ‖∞: the points
 *   x + clip(δ, −t, t) and clip(x + t·sign(δ)); the smallest adversarial one is returned. This costs
 *   2·`refineSteps` forward passes and makes the result exact on linear models whenever δ has the optimal sign
 *   pattern.
 * Any adversarial iterate (or projected iterate) with a smaller ‖δ‖∞ than the best so far is kept. On linear models
 * the answer is within 1% of the minimal L∞ distance to the class the attack reaches; like the L2 attack it may
 * reach a class that is not the nearest (up to 15% further in the tests).
 *
 * Paper: N. Carlini and D. Wagner, "Towards Evaluating the Robustness of Neural Networks", IEEE S&P 2017,
 * https://arxiv.org/abs/1608.04644. Defaults follow the paper's reference code (L2: 9 binary-search steps,
 * 10,000 iterations there, 1,000 here; initial c 10⁻³; L∞: initial c 10⁻⁵, largest c 20, τ decrease 0.9,
 * learning rate 5·10⁻³ (here in tanh space, or 0.5% of the bounds' width per step when projecting); 1,000
 * iterations per round there, 200 here: successful rounds stop early anyway, and on the linear test models 1,000
 * gave the same answers at five times the cost).
 * Norms: `cw-l2` l2, `cw-linf` linf. Knowledge: gradients (white-box, via `logitsSync` + `tf.grad`).
 * Kind: minimization. Targeted: yes (the harness's targets; f is taken w.r.t. them).
 *
 * Returned per sample: the best adversarial iterate found; a sample never made adversarial is returned unchanged
 * (the harness then counts it as robust at every ε).
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'cw-l2', options: { steps: 200 } }], norm: 'l2', epsilons: [1, 1.5, 2] });
 * // builtin:mnist-cnn, 20 test images, 3 × 100 steps at lr 0.05: 100% fooled, median L2 ≈ 1.45 (1 × 1,000 steps: 1.35)
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/tf.js';
import type { DifferentiableModel } from '../engine/model.js';
import { cwMargin } from '../engine/losses.js';
import { RampartError } from '../errors.js';
import type { Norm } from '../threat/threat-model.js';
import { clipToBounds } from '../threat/norms.js';
import { defineAttack, type AttackInput } from './define.js';

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces: the tanh change of variables, the margin objective, the success test and Adam.

/** Keeps atanh finite for inputs on the bounds (the reference code scales by 0.999999 for the same reason). */
const tanhMargin = 1 - 1e-6;

function boxOf(bounds: readonly [number, number]): { centre: number; half: number } {
  return { centre: (bounds[0] + bounds[1]) / 2, half: (bounds[1] - bounds[0]) / 2 };
}

/** w = atanh((x − c)/h), the variable whose tanh image is x. */
function toTanhSpace(x: Tensor, bounds: readonly [number, number]): Tensor {
  const { centre, half } = boxOf(bounds);
  return tf.tidy(() => tf.atanh(tf.clipByValue(tf.div(tf.sub(x, centre), half), -tanhMargin, tanhMargin)));
}

/** x' = c + h·tanh(w). */
function fromTanhSpace(w: Tensor, bounds: readonly [number, number]): Tensor {
  const { centre, half } = boxOf(bounds);
  return tf.add(tf.mul(tf.tanh(w), half), centre);
}

/** The margin f(x') of the paper, per sample: untargeted with the true labels, targeted with the targets. */
function marginObjective(logits: Tensor2D, objectiveLabels: Tensor1D, targeted: boolean, confidence: number): Tensor1D {
  // cwMargin(z, l) = max_{j≠l} z_j − z_l.
  const margin = cwMargin(logits, objectiveLabels);
  return tf.maximum(targeted ? margin : tf.neg(margin), -confidence) as Tensor1D;
}

/** Whether each row of logits is adversarial with margin κ. */
function adversarialWithConfidence(logits: Float32Array, classes: number, objectiveLabels: Int32Array, targeted: boolean, confidence: number): Uint8Array {
  const n = objectiveLabels.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = objectiveLabels[i];
    let other = -Infinity;
    for (let c = 0; c < classes; c++) if (c !== label) other = Math.max(other, logits[i * classes + c]);
    const own = logits[i * classes + label];
    out[i] = Number(targeted ? own - other > confidence : other - own > confidence);
  }
  return out;
}

interface AdamState {
  m: Tensor;
  v: Tensor;
  t: number;
}

const adamBeta1 = 0.9;
const adamBeta2 = 0.999;
const adamEpsilon = 1e-8;

/** One Adam step on w; `frozen` ([N] 0/1, optional) rows keep their value. Returns new tensors (inside a tidy). */
function adamStep(w: Tensor, gradient: Tensor, state: AdamState, learningRate: number, frozen?: Uint8Array): { w: Tensor; m: Tensor; v: Tensor } {
  const t = state.t;
  const m = tf.add(tf.mul(state.m, adamBeta1), tf.mul(gradient, 1 - adamBeta1));
  const v = tf.add(tf.mul(state.v, adamBeta2), tf.mul(tf.square(gradient), 1 - adamBeta2));
  const mHat = tf.div(m, 1 - Math.pow(adamBeta1, t));
  const vHat = tf.div(v, 1 - Math.pow(adamBeta2, t));
  let next = tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), adamEpsilon)), learningRate));
  if (frozen && frozen.some((f) => f === 1)) {
    const mask = tf.cast(tf.reshape(tf.tensor1d(frozen, 'int32'), [w.shape[0], ...w.shape.slice(1).map(() => 1)]), 'bool');
    next = tf.where(mask, w, next);
  }
  return { w: next, m, v };
}

/** Rows of `replacement` where mask is 1, else rows of `base`; disposes `base`. */
function replaceRows(base: Tensor, replacement: Tensor, mask: Uint8Array): Tensor {
  const out = tf.tidy(() => {
    const m = tf.cast(tf.reshape(tf.tensor1d(mask, 'int32'), [base.shape[0], ...base.shape.slice(1).map(() => 1)]), 'bool');
    return tf.where(m, replacement, base);
  });
  base.dispose();
  return out;
}

interface Iterate {
  /** Per-sample objective value (the quantity being minimised for that sample). */
  loss: Float32Array;
  /** Per-sample f part (L2: f; L∞: max(f + κ, 0)). */
  f: Float32Array;
  /** Per-sample distance of x' to x in the attack's norm. */
  distance: Float32Array;
  logits: Float32Array;
  /** x' at this iterate; owned by the caller. */
  xPrime: Tensor;
  /** d(Σ loss)/dw; owned by the caller. */
  gradient: Tensor;
}

/**
 * Evaluates the per-sample C&W objective and its gradient at w in one forward/backward pass.
 * `penalty` maps δ = x' − x ([N, D]) to the per-sample distance term and `distance` to the reported distance.
 */
function evaluate(
  model: DifferentiableModel,
  w: Tensor,
  x: Tensor,
  toInput: (variable: Tensor) => Tensor,
  objectiveLabels: Tensor1D,
  targeted: boolean,
  confidence: number,
  constants: Tensor1D,
  fTerm: (f: Tensor1D) => Tensor1D,
  penalty: (delta: Tensor2D) => Tensor1D,
  distance: (delta: Tensor2D) => Tensor1D,
): Iterate {
  const kept: { loss?: Tensor; f?: Tensor; distance?: Tensor; logits?: Tensor; xPrime?: Tensor } = {};
  const gradient = tf.tidy(() =>
    tf.grad((variable: Tensor) => {
      const xPrime = toInput(variable);
      const logits = model.logitsSync(xPrime);
      const delta = tf.reshape(tf.sub(xPrime, x), [x.shape[0], -1]) as Tensor2D;
      const f = fTerm(marginObjective(logits, objectiveLabels, targeted, confidence));
      const loss = tf.add(penalty(delta), tf.mul(constants, f));
      kept.loss = tf.keep(loss);
      kept.f = tf.keep(f);
      kept.distance = tf.keep(distance(delta));
      kept.logits = tf.keep(logits);
      kept.xPrime = tf.keep(xPrime);
      return tf.sum(loss);
    })(w),
  );
  const read = (t: Tensor | undefined): Float32Array => {
    const values = (t as Tensor).dataSync() as Float32Array;
    (t as Tensor).dispose();
    return values;
  };
  return {
    loss: read(kept.loss),
    f: read(kept.f),
    distance: read(kept.distance),
    logits: read(kept.logits),
    xPrime: kept.xPrime as Tensor,
    gradient,
  };
}

function checkInput(id: string, input: AttackInput, norm: Norm): void {
  if (input.threat.norm !== norm) {
    throw new RampartError('BAD_OPTION', `${id}: norm "${input.threat.norm}" is not supported; ${id} is an ${norm} attack (use --norm ${norm}).`, {
      norm: input.threat.norm,
    });
  }
  const n = input.x.shape[0];
  if (input.labels.length !== n || (input.targets && input.targets.length !== n)) {
    throw new RampartError('BAD_OPTION', `${id}: labels/targets must have one entry per sample (batch of ${n}).`, {});
  }
}

// ---------------------------------------------------------------------------------------------------------------
// C&W L2

export const cwL2Options = z
  .object({
    /** Outer binary-search steps over the constant c. */
    binarySearchSteps: z.number().int().min(1).max(100).default(9),
    /** Adam iterations per binary-search step. */
    steps: z.number().int().min(1).max(1_000_000).default(1000),
    /** Adam learning rate (in tanh space). */
    learningRate: z.number().positive().max(10).default(0.01),
    /** Starting value of c. */
    initialConst: z.number().positive().max(1e10).default(1e-3),
    /** κ: required logit margin of an adversarial example. */
    confidence: z.number().min(0).max(1e6).default(0),
    /** Stop a binary-search step when the loss has not decreased by 0.01% over steps/10 iterations. */
    abortEarly: z.boolean().default(true),
  })
  .strict();
export type CwL2Options = z.output<typeof cwL2Options>;

const noUpperBound = 1e10;

export const cwL2 = defineAttack({
  id: 'cw-l2',
  title: 'Carlini & Wagner L2 (Adam in tanh space, binary search over c)',
  paper: 'Carlini & Wagner 2017, Towards Evaluating the Robustness of Neural Networks, https://arxiv.org/abs/1608.04644',
  norms: ['l2'],
  requires: 'gradients',
  kind: 'minimization',
  targeted: true,
  options: cwL2Options,
  async run(input, { model }, options) {
    checkInput('cw-l2', input, 'l2');
    const { x, threat } = input;
    const bounds = threat.bounds;
    const n = x.shape[0];
    const classes = model.numClasses;
    const targeted = input.targets !== undefined;
    const objectiveValues = input.targets ?? input.labels;
    const objectiveLabels = tf.tensor1d(objectiveValues, 'int32') as Tensor1D;
    const w0 = toTanhSpace(x, bounds);

    const lower = new Float64Array(n);
    const upper = new Float64Array(n).fill(noUpperBound);
    const constants = new Float64Array(n).fill(options.initialConst);
    const bestDistance = new Float64Array(n).fill(Infinity);
    let best = tf.clone(x);
    const abortEvery = Math.max(1, Math.floor(options.steps / 10));
    const squaredL2 = (delta: Tensor2D) => tf.sum(tf.square(delta), 1) as Tensor1D;
    const l2 = (delta: Tensor2D) => tf.sqrt(tf.sum(tf.square(delta), 1)) as Tensor1D;

    try {
      for (let outer = 0; outer < options.binarySearchSteps; outer++) {
        // As in the reference code: with 10 or more steps, the last one uses the smallest successful c.
        if (options.binarySearchSteps >= 10 && outer === options.binarySearchSteps - 1) {
          for (let i = 0; i < n; i++) if (upper[i] < noUpperBound) constants[i] = upper[i];
        }
        const constantTensor = tf.tensor1d(Float32Array.from(constants)) as Tensor1D;
        let w = tf.clone(w0);
        const adam: AdamState = { m: tf.zerosLike(w0), v: tf.zerosLike(w0), t: 0 };
        const succeeded = new Uint8Array(n);
        let previous = Infinity;
        try {
          for (let step = 0; step < options.steps; step++) {
            const it = evaluate(model, w, x, (v) => fromTanhSpace(v, bounds), objectiveLabels, targeted, options.confidence, constantTensor, (f) => f, squaredL2, l2);
            const adversarial = adversarialWithConfidence(it.logits, classes, objectiveValues, targeted, options.confidence);
            const improved = new Uint8Array(n);
            let anyImproved = false;
            for (let i = 0; i < n; i++) {
              if (!adversarial[i]) continue;
              succeeded[i] = 1;
              if (it.distance[i] < bestDistance[i]) {
                bestDistance[i] = it.distance[i];
                improved[i] = 1;
                anyImproved = true;
              }
            }
            if (anyImproved) best = replaceRows(best, it.xPrime, improved);
            it.xPrime.dispose();
            const total = it.loss.reduce((a, b) => a + b, 0);
            if (options.abortEarly && step % abortEvery === 0) {
              if (total > previous * 0.9999) {
                it.gradient.dispose();
                break;
              }
              previous = total;
            }
            adam.t += 1;
            const next = tf.tidy(() => adamStep(w, it.gradient, adam, options.learningRate));
            tf.dispose([w, adam.m, adam.v, it.gradient]);
            w = next.w;
            adam.m = next.m;
            adam.v = next.v;
          }
        } finally {
          tf.dispose([w, adam.m, adam.v, constantTensor]);
        }
        for (let i = 0; i < n; i++) {
          if (succeeded[i]) {
            upper[i] = Math.min(upper[i], constants[i]);
            if (upper[i] < noUpperBound / 10) constants[i] = (lower[i] + upper[i]) / 2;
          } else {
            lower[i] = Math.max(lower[i], constants[i]);
            constants[i] = upper[i] < noUpperBound / 10 ? (lower[i] + upper[i]) / 2 : constants[i] * 10;
          }
        }
      }
    } catch (error) {
      best.dispose();
      throw error;
    } finally {
      tf.dispose([w0, objectiveLabels]);
    }
    return best;
  },
});

// ---------------------------------------------------------------------------------------------------------------
// C&W L∞

export const cwLinfOptions = z
  .object({
    /** Adam iterations per round (one value of τ and c); the reference code uses 1,000. */
    steps: z.number().int().min(1).max(1_000_000).default(200),
    /** Adam learning rate: in tanh space, or (projected) as a fraction of the bounds' width per step. */
    learningRate: z.number().positive().max(10).default(0.005),
    /** Starting value of c. */
    initialConst: z.number().positive().max(1e10).default(1e-5),
    /** A sample whose c would exceed this is finished. */
    largestConst: z.number().positive().max(1e10).default(20),
    /** Factor applied to c after a failed round. */
    constFactor: z.number().gt(1).max(100).default(2),
    /** Factor applied to τ after a successful round, until the first failure. */
    decreaseFactor: z.number().gt(0).lt(1).default(0.9),
    /** Initial τ as a fraction of the bounds' width. */
    initialTau: z.number().positive().max(1).default(1),
    /** Stop bisecting τ when (τ_success − τ_fail)/τ_success is at most this. */
    tolerance: z.number().min(0).max(1).default(0.01),
    /** Upper limit on rounds. */
    maxRounds: z.number().int().min(1).max(10_000).default(50),
    /** κ: required logit margin of an adversarial example. */
    confidence: z.number().min(0).max(1e6).default(0),
    /**
     * The variable Adam optimises: `projected` (default) the perturbation δ itself, projected back into the bounds
     * after every step; `tanh` the paper's change of variables x' = c + h·tanh(w).
     */
    space: z.enum(['projected', 'tanh']).default('projected'),
    /** Bisection steps of the final clipping search (0 turns it off). */
    refineSteps: z.number().int().min(0).max(64).default(12),
  })
  .strict();
export type CwLinfOptions = z.output<typeof cwLinfOptions>;

export const cwLinf = defineAttack({
  id: 'cw-linf',
  title: 'Carlini & Wagner L∞ (iterative τ reduction, Adam in tanh space)',
  paper: 'Carlini & Wagner 2017, Towards Evaluating the Robustness of Neural Networks, https://arxiv.org/abs/1608.04644',
  norms: ['linf'],
  requires: 'gradients',
  kind: 'minimization',
  targeted: true,
  options: cwLinfOptions,
  async run(input, { model }, options) {
    checkInput('cw-linf', input, 'linf');
    const { x, threat } = input;
    const bounds = threat.bounds;
    const width = bounds[1] - bounds[0];
    const n = x.shape[0];
    const classes = model.numClasses;
    const targeted = input.targets !== undefined;
    const objectiveValues = input.targets ?? input.labels;
    const objectiveLabels = tf.tensor1d(objectiveValues, 'int32') as Tensor1D;
    const confidence = options.confidence;

    const tau = new Float64Array(n).fill(options.initialTau * width);
    const constants = new Float64Array(n).fill(options.initialConst);
    const tauFail = new Float64Array(n);
    const bestDistance = new Float64Array(n).fill(Infinity);
    const done = new Uint8Array(n);
    // Samples adversarial already are returned unchanged.
    const clean = model.logitsSync(x);
    const cleanAdversarial = adversarialWithConfidence(clean.dataSync() as Float32Array, classes, objectiveValues, targeted, confidence);
    clean.dispose();
    for (let i = 0; i < n; i++) if (cleanAdversarial[i]) done[i] = 1;

    let best = tf.clone(x);
    const projected = options.space === 'projected';
    const toInput = projected ? (delta: Tensor) => tf.add(x, delta) : (w: Tensor) => fromTanhSpace(w, bounds);
    const learningRate = projected ? options.learningRate * width : options.learningRate;
    let warm = projected ? tf.zerosLike(x) : toTanhSpace(x, bounds);
    const fTerm = (f: Tensor1D) => tf.add(f, confidence) as Tensor1D; // max(f, −κ) + κ = max(f + κ, 0)
    const linfOf = (delta: Tensor2D) => tf.max(tf.abs(delta), 1) as Tensor1D;

    try {
      for (let round = 0; round < options.maxRounds && done.some((d) => d === 0); round++) {
        const tauTensor = tf.tensor2d(Float32Array.from(tau), [n, 1]);
        const tauColumn = tf.reshape(tauTensor, [n, ...x.shape.slice(1).map(() => 1)]);
        const constantTensor = tf.tensor1d(Float32Array.from(constants)) as Tensor1D;
        const hinge = (delta: Tensor2D) => tf.sum(tf.relu(tf.sub(tf.abs(delta), tauTensor)), 1) as Tensor1D;
        // Finished samples are frozen from the start of the round; others freeze when their round succeeds.
        const frozen = Uint8Array.from(done);
        const worked = new Uint8Array(n);
        const workedDistance = new Float64Array(n);
        let w = tf.clone(warm);
        const adam: AdamState = { m: tf.zerosLike(w), v: tf.zerosLike(w), t: 0 };
        try {
          for (let step = 0; step < options.steps && frozen.some((f) => f === 0); step++) {
            const it = evaluate(model, w, x, toInput, objectiveLabels, targeted, confidence, constantTensor, fTerm, hinge, linfOf);
            const adversarial = adversarialWithConfidence(it.logits, classes, objectiveValues, targeted, confidence);
            // The round's success test: the iterate projected onto the τ box, x + clip(x' − x, −τ, τ), is adversarial.
            const clipped = tf.tidy(() => tf.add(x, tf.minimum(tf.maximum(tf.sub(it.xPrime, x), tf.neg(tauColumn)), tauColumn)));
            const clippedLogits = model.logitsSync(clipped);
            const clippedAdversarial = adversarialWithConfidence(clippedLogits.dataSync() as Float32Array, classes, objectiveValues, targeted, confidence);
            clippedLogits.dispose();
            const fromIterate = new Uint8Array(n);
            const fromClipped = new Uint8Array(n);
            for (let i = 0; i < n; i++) {
              if (frozen[i]) continue;
              const clippedDistance = Math.min(tau[i], it.distance[i]);
              if (clippedAdversarial[i]) {
                worked[i] = 1;
                frozen[i] = 1;
                workedDistance[i] = clippedDistance;
                if (clippedDistance < bestDistance[i]) {
                  bestDistance[i] = clippedDistance;
                  fromClipped[i] = 1;
                }
              } else if (adversarial[i] && it.distance[i] < bestDistance[i]) {
                bestDistance[i] = it.distance[i];
                fromIterate[i] = 1;
              }
            }
            if (fromIterate.some((v) => v === 1)) best = replaceRows(best, it.xPrime, fromIterate);
            if (fromClipped.some((v) => v === 1)) best = replaceRows(best, clipped, fromClipped);
            tf.dispose([it.xPrime, clipped]);
            adam.t += 1;
            const next = tf.tidy(() => {
              const stepped = adamStep(w, it.gradient, adam, learningRate, frozen);
              // projected: keep x + δ inside the bounds
              return projected ? { ...stepped, w: tf.sub(clipToBounds(tf.add(x, stepped.w), bounds), x) } : stepped;
            });
            tf.dispose([w, adam.m, adam.v, it.gradient]);
            w = next.w;
            adam.m = next.m;
            adam.v = next.v;
          }
          // The next round starts from this round's point where it succeeded, and, until a sample's first success,
          // from wherever its optimisation got to (a restart from x would throw that progress away).
          const carry = Uint8Array.from(worked, (v, i) => Number(v === 1 || (!done[i] && !Number.isFinite(bestDistance[i]))));
          warm = replaceRows(warm, w, carry);
        } finally {
          tf.dispose([w, adam.m, adam.v, tauTensor, tauColumn, constantTensor]);
        }
        for (let i = 0; i < n; i++) {
          if (done[i]) continue;
          if (worked[i]) {
            tau[i] = tauFail[i] > 0 ? (tauFail[i] + bestDistance[i]) / 2 : options.decreaseFactor * Math.min(tau[i], workedDistance[i], bestDistance[i]);
          } else {
            constants[i] *= options.constFactor;
            if (constants[i] > options.largestConst) done[i] = 1;
            // A failure is a lower bound on τ only once a success exists (before that the search goes on at τ).
            if (Number.isFinite(bestDistance[i])) {
              tauFail[i] = Math.max(tauFail[i], tau[i]);
              tau[i] = (tauFail[i] + bestDistance[i]) / 2;
            }
          }
          const bracketClosed = Number.isFinite(bestDistance[i]) && bestDistance[i] - tauFail[i] <= options.tolerance * bestDistance[i];
          if (bracketClosed || tau[i] < 1e-6 * width) done[i] = 1;
        }
      }
      if (options.refineSteps > 0) best = refineLinf(model, x, best, bestDistance, bounds, objectiveValues, targeted, confidence, options.refineSteps);
    } catch (error) {
      best.dispose();
      throw error;
    } finally {
      tf.dispose([warm, objectiveLabels]);
    }
    return best;
  },
});

/**
 * The final search of `cw-linf`. For each sample with an adversarial point x + δ it bisects, over t in [0, ‖δ‖∞],
 * two families of points and keeps the smallest t (over both) whose point is still adversarial with margin κ:
 * x + clip(δ, −t, t) (the best point with its largest coordinates cut down) and clip(x + t·sign(δ)) (its sign
 * pattern at a common magnitude). Both stay inside the bounds. A sample's point is replaced only by a point this
 * search verified; samples without an adversarial point keep theirs. Disposes `best`.
 */
function refineLinf(
  model: DifferentiableModel,
  x: Tensor,
  best: Tensor,
  bestDistance: Float64Array,
  bounds: readonly [number, number],
  objectiveValues: Int32Array,
  targeted: boolean,
  confidence: number,
  steps: number,
): Tensor {
  const n = x.shape[0];
  if (!bestDistance.some((d) => Number.isFinite(d) && d > 0)) return best;
  const delta = tf.sub(best, x);
  const column = (values: Float64Array) => tf.reshape(tf.tensor1d(Float32Array.from(values)), [n, ...x.shape.slice(1).map(() => 1)]);
  const families = [
    (t: Float64Array): Tensor =>
      tf.tidy(() => {
        const limit = column(t);
        return tf.add(x, tf.minimum(tf.maximum(delta, tf.neg(limit)), limit));
      }),
    (t: Float64Array): Tensor => tf.tidy(() => tf.clipByValue(tf.add(x, tf.mul(tf.sign(delta), column(t))), bounds[0], bounds[1])),
  ];
  let result = best;
  let resultDistance = Float64Array.from(bestDistance);
  for (const pointAt of families) {
    const low = new Float64Array(n);
    const high = Float64Array.from(bestDistance, (d) => (Number.isFinite(d) ? d : 0));
    const verified = new Uint8Array(n);
    for (let step = 0; step < steps; step++) {
      const middle = Float64Array.from(high, (h, i) => (low[i] + h) / 2);
      const candidate = pointAt(middle);
      const logits = model.logitsSync(candidate);
      const adversarial = adversarialWithConfidence(logits.dataSync() as Float32Array, model.numClasses, objectiveValues, targeted, confidence);
      tf.dispose([candidate, logits]);
      for (let i = 0; i < n; i++) {
        if (high[i] === 0) continue;
        if (adversarial[i]) {
          high[i] = middle[i];
          verified[i] = 1;
        } else low[i] = middle[i];
      }
    }
    const better = Uint8Array.from(verified, (v, i) => Number(v === 1 && high[i] < resultDistance[i]));
    if (better.some((b) => b === 1)) {
      const points = pointAt(high);
      result = replaceRows(result, points, better);
      points.dispose();
      for (let i = 0; i < n; i++) if (better[i]) resultDistance[i] = high[i];
    }
  }
  delta.dispose();
  return result;
}
