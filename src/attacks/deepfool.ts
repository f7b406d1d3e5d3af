/**
 * DeepFool — a minimal-perturbation attack that repeatedly linearises the classifier around the current point and
 * steps to the nearest linearised decision boundary. For the true class y and each candidate class k, with
 * f_k = z_k − z_y and w_k = ∇ₓ f_k, the linearised distance to boundary k is |f_k| / ‖w_k‖_q (q the dual exponent
 * of the attack norm: 2 for l2, 1 for l∞). The closest k̂ gives the step
 *   l2:  r = (|f_k̂| + 10⁻⁴) / ‖w_k̂‖₂² · w_k̂
 *   l∞:  r = (|f_k̂| + 10⁻⁴) / ‖w_k̂‖₁ · sign(w_k̂)
 * accumulated into r_tot; the iterate is x + r_tot, clipped to the bounds. A sample stops as soon as it is
 * misclassified; the loop stops after `steps` iterations. As in the paper (Section 3.1), the overshoot is applied
 * once at the end: the result is x + (1 + η)·r_tot, clipped (the Foolbox variant that overshoots every iterate
 * leaves only η times the last, often tiny, step as margin).
 *
 * Bounds: gradient components of coordinates that sit on a bound and point out of the box are set to zero before
 * the distances and the step are computed (a first-order account of the box). Without this, clipping cuts part of
 * every step on images with saturated pixels (most of MNIST), the iterate creeps up to the boundary in many small
 * steps.
 *
 * For a linear model one step lands on the exact minimal-distance boundary point, so the result is the closed-form
 * minimal distance times (1 + overshoot). Candidate classes are the true class and the `candidates − 1` other
 * classes with the largest clean logits (fixed at the start, as in Foolbox), which keeps the cost at one
 * forward/backward pass per iteration over `candidates − 1` tiled copies of the active samples.
 *
 * Paper: S.-M. Moosavi-Dezfooli, A. Fawzi and P. Frossard, "DeepFool: a simple and accurate method to fool deep
 * neural networks", CVPR 2016, https://arxiv.org/abs/1511.04599 (Algorithm 2; the l∞ step of Section 3.3).
 * Norms: l2, l∞. Knowledge: gradients (white-box, via `logitsSync` + `tf.grad`). Kind: minimization.
 * Targeted: no (untargeted only; a targeted goal is rejected with BAD_OPTION).
 *
 * Returned per sample: x + (1 + η)·r_tot (or x + r_tot when the overshoot undoes the misclassification); samples
 * the model already misclassifies are returned unchanged; a sample not fooled within `steps` iterations is
 * returned at its last iterate (the harness re-verifies and counts it as a failure).
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'deepfool' }], norm: 'l2', epsilons: [0.5, 1, 2] });
 * // builtin:mnist-cnn, 20 test images: 100% fooled, median L2 ≈ 1.78, median L∞ ≈ 0.14 (smoke test in deepfool.test.ts)
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import type { DifferentiableModel } from '../engine/model.js';
import { RampartError } from '../errors.js';
import { clipToBounds } from '../threat/norms.js';
import type { Norm } from '../threat/threat-model.js';
import { defineAttack, type AttackInput } from './define.js';

export const deepfoolOptions = z
  .object({
    /** Maximum number of linearisation steps per sample. */
    steps: z.number().int().min(1).max(10_000).default(50),
    /** η: the accumulated step is scaled by 1 + η so the iterate crosses the boundary. */
    overshoot: z.number().min(0).max(10).default(0.02),
    /** Number of most likely classes (the true class included) whose boundaries are linearised. */
    candidates: z.number().int().min(2).max(100_000).default(10),
  })
  .strict();
export type DeepfoolOptions = z.output<typeof deepfoolOptions>;

/** Per sample: the true label first, then the `count − 1` other classes with the largest logits. */
function candidateClasses(logits: Float32Array, classes: number, labels: Int32Array, count: number): Int32Array {
  const n = labels.length;
  const out = new Int32Array(n * count);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const others = Array.from({ length: classes }, (_, c) => c)
      .filter((c) => c !== labels[i])
      .sort((a, b) => row[b] - row[a] || a - b);
    out[i * count] = labels[i];
    for (let k = 1; k < count; k++) out[i * count + k] = others[k - 1];
  }
  return out;
}

interface Linearisation {
  /** Logits at the active samples, [na, K]. */
  logits: Float32Array;
  /** f_k = z_k − z_y for candidate k = 1..C−1, laid out [C−1, na]. */
  differences: Float32Array;
  /** ∇f_k, [(C−1)·na, D] (row k·na + i); owned by the caller. */
  gradients: Tensor2D;
}

/**
 * Logits, boundary differences and their gradients for the active samples in one forward/backward pass over
 * C−1 tiled copies of the batch.
 */
function linearise(
  model: DifferentiableModel,
  xActive: Tensor,
  bounds: readonly [number, number],
  labels: Int32Array,
  classes: Int32Array,
  count: number,
  active: number[],
): Linearisation {
  const na = active.length;
  const k = model.numClasses;
  const copies = count - 1;
  const weights = new Float32Array(copies * na * k);
  for (let c = 0; c < copies; c++) {
    for (let a = 0; a < na; a++) {
      const i = active[a];
      const row = (c * na + a) * k;
      weights[row + classes[i * count + c + 1]] += 1;
      weights[row + labels[i]] -= 1;
    }
  }
  let logitsOut: Tensor2D | undefined;
  const gradients = tf.tidy(() => {
    const mask = tf.tensor2d(weights, [copies * na, k]);
    const tiled = tf.tile(xActive, [copies, ...xActive.shape.slice(1).map(() => 1)]);
    const gradient = tf.grad((input: Tensor) => {
      const z = model.logitsSync(input);
      logitsOut = tf.keep(z);
      return tf.sum(tf.mul(z, mask));
    })(tiled);
    // Coordinates on a bound cannot move out of the box: drop the gradient components that point outwards, so
    // the linearised distance and the step account for the bounds instead of being cut by the clipping.
    const flatGradient = tf.reshape(gradient, [copies * na, -1]);
    const flatInput = tf.reshape(tiled, [copies * na, -1]);
    const blocked = tf.logicalOr(
      tf.logicalAnd(tf.lessEqual(flatInput, bounds[0]), tf.less(flatGradient, 0)),
      tf.logicalAnd(tf.greaterEqual(flatInput, bounds[1]), tf.greater(flatGradient, 0)),
    );
    return tf.where(blocked, tf.zerosLike(flatGradient), flatGradient) as Tensor2D;
  });
  const all = logitsOut as Tensor2D;
  const data = all.dataSync() as Float32Array;
  all.dispose();
  const differences = new Float32Array(copies * na);
  for (let r = 0; r < copies * na; r++) {
    let value = 0;
    for (let c = 0; c < k; c++) value += weights[r * k + c] * data[r * k + c];
    differences[r] = value;
  }
  return { logits: data.slice(0, na * k), differences, gradients };
}

/** The DeepFool step for each active sample that is still correctly classified; null where it gives up. */
function deepfoolSteps(lin: Linearisation, na: number, copies: number, norm: Norm): { rows: Int32Array; coefficients: Float32Array } {
  const norms = tf.tidy(() =>
    norm === 'l2' ? tf.sum(tf.square(lin.gradients), 1) : tf.sum(tf.abs(lin.gradients), 1),
  );
  const normData = norms.dataSync() as Float32Array;
  norms.dispose();
  const rows = new Int32Array(na).fill(-1);
  const coefficients = new Float32Array(na);
  for (let a = 0; a < na; a++) {
    let best = Infinity;
    for (let c = 0; c < copies; c++) {
      const r = c * na + a;
      // For l2 normData holds ‖w‖₂², for l∞ ‖w‖₁.
      const dual = norm === 'l2' ? Math.sqrt(normData[r]) : normData[r];
      if (!(dual > 0)) continue;
      const distance = Math.abs(lin.differences[r]) / dual;
      if (distance < best) {
        best = distance;
        rows[a] = r;
        coefficients[a] = (Math.abs(lin.differences[r]) + 1e-4) / normData[r];
      }
    }
  }
  return { rows, coefficients };
}

export const deepfool = defineAttack({
  id: 'deepfool',
  title: 'DeepFool (minimal L2 / L∞ perturbation by iterative linearisation)',
  paper: 'Moosavi-Dezfooli, Fawzi & Frossard 2016, DeepFool: a simple and accurate method to fool deep neural networks, https://arxiv.org/abs/1511.04599',
  norms: ['l2', 'linf'],
  requires: 'gradients',
  kind: 'minimization',
  targeted: false,
  options: deepfoolOptions,
  async run(input: AttackInput, { model }, options) {
    const { norm, bounds } = input.threat;
    if (norm !== 'l2' && norm !== 'linf') {
      throw new RampartError('BAD_OPTION', `deepfool: norm "${norm}" is not supported; use --norm l2 or --norm linf.`, { norm });
    }
    if (input.targets) {
      throw new RampartError('BAD_OPTION', 'deepfool is untargeted only; drop --targeted or use a targeted attack such as pgd or cw-l2.', {});
    }
    const x = input.x;
    const n = x.shape[0];
    const numClasses = model.numClasses;
    const count = Math.min(options.candidates, numClasses);
    const copies = count - 1;
    const labels = input.labels;
    if (labels.length !== n) {
      throw new RampartError('BAD_OPTION', `deepfool: ${labels.length} labels for a batch of ${n} samples.`, {});
    }
    const clean = model.logitsSync(x);
    const cleanLogits = clean.dataSync() as Float32Array;
    clean.dispose();
    const classes = candidateClasses(cleanLogits, numClasses, labels, count);

    const argmax = (row: Float32Array): number => {
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
      return best;
    };
    let active: number[] = [];
    const wasCorrect = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (argmax(cleanLogits.subarray(i * numClasses, (i + 1) * numClasses)) === labels[i]) {
        active.push(i);
        wasCorrect[i] = 1;
      }
    }

    // r_tot and the iterate x + r_tot (clipped); the overshoot is applied once, at the end, as in the paper.
    let total = tf.zerosLike(x);
    let xAdv = tf.clone(x);
    for (let step = 0; step < options.steps && active.length > 0; step++) {
      const na = active.length;
      const indices = tf.tensor1d(Int32Array.from(active), 'int32');
      const xActive = tf.gather(xAdv, indices);
      const lin = linearise(model, xActive, bounds, labels, classes, count, active);
      xActive.dispose();
      indices.dispose();
      // Samples misclassified at this iterate are done; the rest take a step.
      const stillCorrect: number[] = [];
      for (let a = 0; a < na; a++) {
        if (argmax(lin.logits.subarray(a * numClasses, (a + 1) * numClasses)) === labels[active[a]]) stillCorrect.push(a);
      }
      const { rows, coefficients } = stillCorrect.length > 0 ? deepfoolSteps(lin, na, copies, norm) : { rows: new Int32Array(0), coefficients: new Float32Array(0) };
      // Samples with a zero gradient for every candidate boundary cannot move: give up on them.
      const moving = stillCorrect.filter((a) => rows[a] >= 0);
      if (moving.length > 0) {
        const next = tf.tidy(() => {
          const picked = tf.gather(lin.gradients, Int32Array.from(moving, (a) => rows[a]));
          const direction = norm === 'l2' ? picked : tf.sign(picked);
          const coefficient = tf.tensor2d(Float32Array.from(moving, (a) => coefficients[a]), [moving.length, 1]);
          const stepTensor = tf.reshape(tf.mul(direction, coefficient), [moving.length, ...x.shape.slice(1)]);
          const scatterIndices = tf.tensor2d(Int32Array.from(moving, (a) => active[a]), [moving.length, 1], 'int32');
          const newTotal = tf.add(total, tf.scatterND(scatterIndices, stepTensor, x.shape));
          return { newTotal, newAdv: clipToBounds(tf.add(x, newTotal), bounds) };
        });
        total.dispose();
        xAdv.dispose();
        total = next.newTotal;
        xAdv = next.newAdv;
      }
      lin.gradients.dispose();
      active = moving.map((a) => active[a]);
    }
    // Final point x + (1 + η)·r_tot; where the overshoot happens to undo the misclassification (possible for a
    // non-linear model), keep x + r_tot.
    const overshot = tf.tidy(() => clipToBounds(tf.add(x, tf.mul(total, 1 + options.overshoot)), bounds));
    total.dispose();
    const overshotLogits = model.logitsSync(overshot);
    const overshotValues = overshotLogits.dataSync() as Float32Array;
    overshotLogits.dispose();
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = Number(argmax(overshotValues.subarray(i * numClasses, (i + 1) * numClasses)) !== labels[i] || !wasCorrect[i]);
    const result = tf.tidy(() => {
      const shape = [n, ...x.shape.slice(1).map(() => 1)];
      return tf.where(tf.cast(tf.reshape(tf.tensor1d(keep, 'int32'), shape), 'bool'), overshot, xAdv);
    });
    tf.dispose([overshot, xAdv]);
    return result;
  },
});
