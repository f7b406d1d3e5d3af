/**
 * Auto-PGD (APGD): projected gradient ascent with momentum and an automatic, per-sample step-size schedule, the
 * gradient-based half of AutoAttack. Shared by the `apgd-ce`, `apgd-dlr` and `apgd-t` attacks.
 *
 * Paper: F. Croce and M. Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", ICML 2020, https://arxiv.org/abs/2003.01690 (Algorithm 1, Section 3). The parameters
 * follow the paper and its reference implementation (github.com/fra31/auto-attack): step size η⁽⁰⁾ = 2ε,
 * momentum α = 0.75, ρ = 0.75, 100 iterations, checkpoints w_j = ⌈p_j·N_iter⌉ with p₀ = 0, p₁ = 0.22,
 * p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06).
 *
 * One run, per sample (all bookkeeping is per sample; samples never interact):
 * - x⁽⁰⁾ is a random point of the ε-ball (`normOps[norm].randomStart`, clipped to the bounds); x⁽¹⁾ = P(x⁽⁰⁾ + η·s(∇f(x⁽⁰⁾))).
 * - then z = P(x⁽ᵏ⁾ + η·s(∇f(x⁽ᵏ⁾))) and x⁽ᵏ⁺¹⁾ = P(x⁽ᵏ⁾ + α(z − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾)), where s is the
 *   norm's steepest-ascent direction (`normOps[norm].steepest`: sign for l∞, normalised gradient for l2) and P
 *   projects onto the ε-ball ∩ bounds (`projectToThreat`).
 * - at each checkpoint w_j the step size is halved and the iterate restarted from the best point so far (with the
 *   gradient there) when (1) the loss increased in fewer than ρ·(w_j − w_{j−1}) of the steps since w_{j−1}, or
 *   (2) the step size was not halved at w_{j−1} and the best loss did not improve since w_{j−1}. As in the reference
 *   implementation, condition (2) is not applied at the first checkpoint; condition (1) uses the paper's strict
 *   "fewer than" (the reference code halves at "at most", which differs only when ρ·window is an integer).
 * - the run keeps the best-loss point and the first adversarial point found.
 *
 * Returned per sample: the first adversarial point found (over restarts, and for `apgd-t` over target classes),
 * else the highest-loss point; samples the model already gets wrong (or already puts in the target class) are
 * returned unchanged. The success test uses the logits of the forward pass that produced each gradient; the
 * harness re-verifies independently. Because the returned point of a sample is fixed once it has succeeded, this
 * implementation drops succeeded samples from the working batch (the reference keeps iterating them): the result
 * is the same, with fewer gradient queries. Restarts (and target classes) run only on samples not yet fooled, as
 * in the reference.
 *
 * Norms: l∞ and l2 (the sparse L1-APGD of Croce & Hein 2021 is not implemented). Knowledge: gradients.
 */
import { z } from 'zod';
import { tf, type Tensor, type Tensor1D } from '../engine/tf.js';
import type { DifferentiableModel } from '../engine/model.js';
import type { LossName } from '../engine/losses.js';
import type { Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { normOps, projectToThreat } from '../threat/norms.js';
import type { ThreatModel } from '../threat/threat-model.js';
import type { AttackInput } from './define.js';

/** Options shared by every APGD variant. */
export const apgdOptionsSchema = z.object({
  /** Iterations per run (N_iter). */
  steps: z.number().int().min(1).max(100_000).default(100),
  /** Runs from fresh random starts; later runs attack only the samples not yet fooled. */
  restarts: z.number().int().min(1).max(1000).default(1),
  /** ρ: a checkpoint halves η when the loss increased in fewer than this fraction of the steps since the last one. */
  rho: z.number().gt(0).lt(1).default(0.75),
  /** α: weight of the new gradient step against the previous update (momentum 1 − α). */
  momentum: z.number().gt(0).max(1).default(0.75),
  /** Start from a random point of the ε-ball (AutoAttack does); false starts from the clean input. */
  randomStart: z.boolean().default(true),
});
export type ApgdOptions = z.output<typeof apgdOptionsSchema>;

/** Options of APGD-T: the shared ones plus how many of the most likely wrong classes to target in turn. */
export const apgdTargetedOptionsSchema = apgdOptionsSchema.extend({
  /** For untargeted goals: target the k most likely non-true classes in turn (AutoAttack uses 9). */
  targetClasses: z.number().int().min(1).max(1000).default(9),
});
export type ApgdTargetedOptions = z.output<typeof apgdTargetedOptionsSchema>;

/**
 * The checkpoints w_j = ⌈p_j · steps⌉ of the step-size schedule, from p₀ = 0, p₁ = 0.22,
 * p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06), while p_j ≤ 1 (duplicates, possible for small `steps`,
 * removed). Computed in hundredths so no rounding error moves a checkpoint. For 100 steps:
 * [0, 22, 41, 57, 70, 80, 87, 93, 99].
 */
export function apgdCheckpoints(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RampartError('BAD_OPTION', `apgdCheckpoints: steps must be a positive integer, got ${steps}.`, { steps });
  }
  const p = [0, 22];
  while (true) {
    const next = p[p.length - 1] + Math.max(p[p.length - 1] - p[p.length - 2] - 3, 6);
    if (next > 100) break;
    p.push(next);
  }
  const w = p.map((hundredths) => Math.ceil((hundredths * steps) / 100));
  return [...new Set(w)];
}

/** One sample's state at a checkpoint w_j, for {@link shouldHalveStep}. */
export interface CheckpointState {
  /** Steps since w_{j−1} whose loss exceeded the previous step's. */
  increases: number;
  /** w_j − w_{j−1}. */
  window: number;
  rho: number;
  /** Whether the step size was halved at w_{j−1} (true at the first checkpoint, as in the reference code). */
  halvedAtLastCheckpoint: boolean;
  bestLossAtLastCheckpoint: number;
  bestLoss: number;
}

/**
 * The checkpoint rule: halve the step size (and restart from the best point) when (1) the loss increased in
 * fewer than ρ·(w_j − w_{j−1}) of the steps since the last checkpoint, or (2) the step size was not halved at the
 * last checkpoint and the best loss has not improved since.
 */
export function shouldHalveStep(s: CheckpointState): boolean {
  const oscillating = s.increases < s.rho * s.window;
  const stalled = !s.halvedAtLastCheckpoint && s.bestLossAtLastCheckpoint >= s.bestLoss;
  return oscillating || stalled;
}

/** What a run ascends and what counts as success. */
export interface ApgdObjective {
  /**
   * 'cross-entropy' (ascended w.r.t. the true labels, or descended w.r.t. `targets` when given), 'dlr'
   * (untargeted only) or 'dlr-targeted' (ascended; needs `targets`).
   */
  loss: Extract<LossName, 'cross-entropy' | 'dlr' | 'dlr-targeted'>;
  /** Target class per sample. */
  targets?: Int32Array;
  /** 'untargeted': success is any wrong class; 'targeted': success is the target class. */
  success: 'untargeted' | 'targeted';
}

/** Observers for tests and diagnostics (not part of the attack's options). */
export interface ApgdHooks {
  /** Called at every checkpoint w_j (j ≥ 1) of every run, with the working samples' step sizes after the rule. */
  onCheckpoint?(event: { iteration: number; stepSizes: Float32Array; halved: Uint8Array }): void;
}

interface RunResult {
  /** Per sample: the first adversarial point found, else the best-loss point (flattened rows). */
  points: Float32Array;
  found: Uint8Array;
  bestLoss: Float32Array;
}

interface Evaluation {
  loss: Float32Array;
  gradient: Tensor;
  predictions: Int32Array;
}

/** Reshapes a per-sample vector [m] so it broadcasts over samples of rank `rank`. */
function perSample(values: Float32Array, rank: number): Tensor {
  return tf.reshape(tf.tensor1d(values), [values.length, ...Array.from({ length: rank - 1 }, () => 1)]);
}

function isSuccess(objective: ApgdObjective, prediction: number, label: number, target: number): boolean {
  return objective.success === 'targeted' ? prediction === target : prediction !== label;
}

/**
 * Per sample: rows of `a` where `mask[r]` is set, else rows of `b`. Computed as a·c + b·(1 − c) with c ∈ {0, 1},
 * which is exact for finite values and, on the wasm backend, an order of magnitude faster than a broadcast `where`.
 */
function selectRows(mask: Uint8Array, a: Tensor, b: Tensor): Tensor {
  return tf.tidy(() => {
    const c = perSample(Float32Array.from(mask), a.rank);
    return tf.add(tf.mul(a, c), tf.mul(b, tf.sub(1, c)));
  });
}

/** The rows `keep` of `t`, copied on the JS side (faster than tf.gather on the wasm backend). */
function takeRows(t: Tensor, keep: readonly number[]): Tensor {
  const rows = t.shape[0];
  const size = t.size / Math.max(rows, 1);
  const values = t.dataSync();
  const out = t.dtype === 'int32' ? new Int32Array(keep.length * size) : new Float32Array(keep.length * size);
  keep.forEach((r, j) => out.set(values.subarray(r * size, (r + 1) * size) as never, j * size));
  return tf.tensor(out, [keep.length, ...t.shape.slice(1)], t.dtype);
}

/** Replaces `*old` by `next` and disposes the old tensor. */
function swap(old: Tensor, next: Tensor): Tensor {
  old.dispose();
  return next;
}

/**
 * One APGD run on a batch (Algorithm 1 of the paper). `x` is the clean batch; `labels` and `targets` match it.
 * Returns per sample the first adversarial point found, else the best-loss point. Disposes everything it allocates.
 */
async function singleRun(
  model: DifferentiableModel,
  x: Tensor,
  labels: Int32Array,
  objective: ApgdObjective,
  threat: ThreatModel,
  options: ApgdOptions,
  random: Random,
  hooks: ApgdHooks,
): Promise<RunResult> {
  const m = labels.length;
  const rank = x.rank;
  const d = x.size / m;
  const targets = objective.targets;
  const lossName: LossName = objective.loss;
  // A targeted cross-entropy objective is descended w.r.t. the targets: ascend its negative.
  const descend = objective.loss === 'cross-entropy' && targets !== undefined;
  const lossLabels = descend ? (targets as Int32Array) : labels;

  const result: RunResult = { points: new Float32Array(m * d), found: new Uint8Array(m), bestLoss: new Float32Array(m) };
  const checkpoints = apgdCheckpoints(options.steps);
  const checkpointIndex = new Map(checkpoints.map((w, j) => [w, j]));

  // Working set: `ids[r]` is the batch row of working row r; succeeded rows are dropped from every state tensor.
  let ids = Int32Array.from({ length: m }, (_, i) => i);
  let clean = tf.clone(x);
  let labelsT = tf.tensor1d(lossLabels, 'int32') as Tensor1D;
  let targetsT: Tensor1D | undefined = lossName === 'dlr-targeted' ? (tf.tensor1d(targets as Int32Array, 'int32') as Tensor1D) : undefined;

  const evaluate = async (point: Tensor): Promise<Evaluation> => {
    const out = await model.lossAndGradient(point, labelsT, lossName, lossName === 'dlr-targeted' ? targetsT : undefined);
    const loss = Float32Array.from(out.loss.dataSync() as Float32Array);
    const predictions = tf.tidy(() => tf.argMax(out.logits, 1).dataSync() as Int32Array);
    let gradient = out.gradient;
    if (descend) {
      for (let i = 0; i < loss.length; i++) loss[i] = -loss[i];
      gradient = swap(gradient, tf.neg(gradient));
    }
    tf.dispose([out.loss, out.logits]);
    return { loss, gradient, predictions };
  };

  let xk = tf.tidy(() => {
    if (!options.randomStart) return tf.clone(x);
    const start = tf.add(x, normOps[threat.norm].randomStart(x.shape, threat.epsilon, random));
    return projectToThreat(start, x, threat);
  });
  const first = await evaluate(xk);
  let grad = first.gradient;
  let xPrev = tf.clone(xk);
  let xBest = tf.clone(xk);
  let gradBest = tf.clone(grad);
  let eta = new Float32Array(m).fill(2 * threat.epsilon);
  let lossBest = Float32Array.from(first.loss);
  let lastLoss = Float32Array.from(first.loss);
  let lossBestAtCheckpoint = Float32Array.from(first.loss);
  let reducedAtCheckpoint = new Uint8Array(m).fill(1);
  let increases = new Int32Array(m);

  /** Records newly successful working rows and drops them from the working set. */
  const harvest = (predictions: Int32Array): void => {
    const done: number[] = [];
    const keep: number[] = [];
    for (let r = 0; r < ids.length; r++) {
      const i = ids[r];
      (isSuccess(objective, predictions[r], labels[i], targets ? targets[i] : -1) ? done : keep).push(r);
    }
    if (done.length === 0) return;
    const rows = xk.dataSync() as Float32Array;
    for (const r of done) {
      const i = ids[r];
      result.found[i] = 1;
      result.points.set(rows.subarray(r * d, (r + 1) * d), i * d);
    }
    const take = (t: Tensor): Tensor => swap(t, takeRows(t, keep));
    xk = take(xk);
    xPrev = take(xPrev);
    grad = take(grad);
    xBest = take(xBest);
    gradBest = take(gradBest);
    clean = take(clean);
    labelsT = take(labelsT) as Tensor1D;
    if (targetsT) targetsT = take(targetsT) as Tensor1D;
    const f32 = (a: Float32Array) => Float32Array.from(keep, (r) => a[r]);
    const i32 = (a: Int32Array) => Int32Array.from(keep, (r) => a[r]);
    const u8 = (a: Uint8Array) => Uint8Array.from(keep, (r) => a[r]);
    ids = i32(ids);
    eta = f32(eta);
    lossBest = f32(lossBest);
    lastLoss = f32(lastLoss);
    lossBestAtCheckpoint = f32(lossBestAtCheckpoint);
    reducedAtCheckpoint = u8(reducedAtCheckpoint);
    increases = i32(increases);
  };

  harvest(first.predictions);
  const ball = { norm: threat.norm, epsilon: threat.epsilon, bounds: threat.bounds };
  for (let k = 0; k < options.steps && ids.length > 0; k++) {
    const alpha = k === 0 ? 1 : options.momentum;
    const next = tf.tidy(() => {
      const step = tf.mul(normOps[threat.norm].steepest(grad, 1), perSample(eta, rank));
      const z = projectToThreat(tf.add(xk, step), clean, ball);
      if (alpha === 1) return z;
      const moved = tf.add(tf.add(xk, tf.mul(tf.sub(z, xk), alpha)), tf.mul(tf.sub(xk, xPrev), 1 - alpha));
      return projectToThreat(moved, clean, ball);
    });
    xPrev.dispose();
    xPrev = xk;
    xk = next;
    grad.dispose();
    const evaluation = await evaluate(xk);
    grad = evaluation.gradient;
    const { loss } = evaluation;

    const improved = new Uint8Array(ids.length);
    for (let r = 0; r < ids.length; r++) {
      if (loss[r] > lastLoss[r]) increases[r]++;
      lastLoss[r] = loss[r];
      if (loss[r] > lossBest[r]) {
        improved[r] = 1;
        lossBest[r] = loss[r];
      }
    }
    if (improved.some((v) => v === 1)) {
      xBest = swap(xBest, selectRows(improved, xk, xBest));
      gradBest = swap(gradBest, selectRows(improved, grad, gradBest));
    }
    // Record successes of this iterate before a checkpoint may move it back to the best point.
    harvest(evaluation.predictions);

    const iteration = k + 1;
    const j = checkpointIndex.get(iteration);
    if (j !== undefined && j > 0) {
      const window = checkpoints[j] - checkpoints[j - 1];
      const reduce = new Uint8Array(ids.length);
      for (let r = 0; r < ids.length; r++) {
        const halve = shouldHalveStep({
          increases: increases[r],
          window,
          rho: options.rho,
          halvedAtLastCheckpoint: reducedAtCheckpoint[r] === 1,
          bestLossAtLastCheckpoint: lossBestAtCheckpoint[r],
          bestLoss: lossBest[r],
        });
        reduce[r] = halve ? 1 : 0;
        reducedAtCheckpoint[r] = reduce[r];
        lossBestAtCheckpoint[r] = lossBest[r];
        increases[r] = 0;
        if (reduce[r]) {
          eta[r] /= 2;
          lastLoss[r] = lossBest[r];
        }
      }
      hooks.onCheckpoint?.({ iteration, stepSizes: Float32Array.from(eta), halved: reduce });
      if (reduce.some((v) => v === 1)) {
        xk = swap(xk, selectRows(reduce, xBest, xk));
        grad = swap(grad, selectRows(reduce, gradBest, grad));
      }
    }
  }

  // Samples never fooled: their best-loss point.
  if (ids.length > 0) {
    const rows = xBest.dataSync() as Float32Array;
    ids.forEach((i, r) => result.points.set(rows.subarray(r * d, (r + 1) * d), i * d));
  }
  result.bestLoss.fill(Infinity);
  ids.forEach((i, r) => (result.bestLoss[i] = lossBest[r]));
  tf.dispose([xk, xPrev, grad, xBest, gradBest, clean, labelsT, ...(targetsT ? [targetsT] : [])]);
  return result;
}

/** Per-sample progress across runs (restarts, target classes). */
interface Progress {
  points: Float32Array;
  done: Uint8Array;
  bestLoss: Float32Array;
}

/**
 * Runs `restarts` APGD runs on the samples of `progress` not yet done, merging results: a sample's first
 * adversarial point wins; otherwise its highest-loss point over runs.
 */
async function runRestarts(
  model: DifferentiableModel,
  x: Tensor,
  labels: Int32Array,
  objective: ApgdObjective,
  threat: ThreatModel,
  options: ApgdOptions,
  random: Random,
  progress: Progress,
  hooks: ApgdHooks,
): Promise<void> {
  const n = labels.length;
  const d = x.size / n;
  for (let restart = 0; restart < options.restarts; restart++) {
    const active = Array.from({ length: n }, (_, i) => i).filter((i) => progress.done[i] === 0);
    if (active.length === 0) return;
    const subset = takeRows(x, active);
    const sub = (a: Int32Array) => Int32Array.from(active, (i) => a[i]);
    let run: RunResult;
    try {
      run = await singleRun(
        model,
        subset,
        sub(labels),
        { ...objective, targets: objective.targets ? sub(objective.targets) : undefined },
        threat,
        options,
        random,
        hooks,
      );
    } finally {
      subset.dispose();
    }
    active.forEach((i, r) => {
      if (run.found[r] || run.bestLoss[r] > progress.bestLoss[i]) {
        progress.points.set(run.points.subarray(r * d, (r + 1) * d), i * d);
        progress.bestLoss[i] = run.bestLoss[r];
      }
      if (run.found[r]) progress.done[i] = 1;
    });
  }
}

function checkInput(id: string, input: AttackInput, model: DifferentiableModel, minClasses: number): void {
  const n = input.x.shape[0];
  if (input.labels.length !== n) {
    throw new RampartError('BAD_OPTION', `${id}: got ${input.labels.length} labels for a batch of ${n} samples; pass one label per sample.`, {
      labels: input.labels.length,
      samples: n,
    });
  }
  if (input.targets && input.targets.length !== n) {
    throw new RampartError('BAD_OPTION', `${id}: got ${input.targets.length} targets for a batch of ${n} samples; pass one target per sample.`, {
      targets: input.targets.length,
      samples: n,
    });
  }
  if (input.threat.norm !== 'linf' && input.threat.norm !== 'l2') {
    throw new RampartError('BAD_OPTION', `${id} supports the linf and l2 norms, not ${input.threat.norm}; use pgd for l1 or jsma for l0.`, {
      norm: input.threat.norm,
    });
  }
  if (model.numClasses < minClasses) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `${id} needs a model with at least ${minClasses} classes (its loss is a ratio of logit differences); model ${model.id} has ${model.numClasses}. Use apgd-ce instead.`,
      { numClasses: model.numClasses, minClasses },
    );
  }
  const bad = (values: Int32Array) => values.some((v) => !Number.isInteger(v) || v < 0 || v >= model.numClasses);
  if (bad(input.labels) || (input.targets && bad(input.targets))) {
    throw new RampartError('LABEL_OUT_OF_RANGE', `${id}: labels and targets must be class indices in [0, ${model.numClasses}).`, {
      numClasses: model.numClasses,
    });
  }
}

/** Clean predictions of a batch (one forward pass). */
async function predict(model: DifferentiableModel, x: Tensor): Promise<{ predictions: Int32Array; logits: Float32Array }> {
  const logits = await model.logits(x);
  try {
    const predictions = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
    return { predictions: Int32Array.from(predictions), logits: Float32Array.from(logits.dataSync() as Float32Array) };
  } finally {
    logits.dispose();
  }
}

/**
 * APGD with one loss (APGD-CE, APGD-DLR, or APGD-T against given targets). Untargeted unless `input.targets` is
 * given: then `cross-entropy` descends CE towards the targets and `dlr-targeted` ascends the targeted DLR loss.
 * Returns a new tensor of x's shape (owned by the caller).
 */
export async function runApgd(
  id: string,
  loss: ApgdObjective['loss'],
  input: AttackInput,
  context: { model: DifferentiableModel; random: Random },
  options: ApgdOptions,
  hooks: ApgdHooks = {},
): Promise<Tensor> {
  const minClasses = loss === 'dlr' ? 3 : loss === 'dlr-targeted' ? 4 : 2;
  checkInput(id, input, context.model, minClasses);
  if (loss === 'dlr' && input.targets) {
    throw new RampartError('BAD_OPTION', `${id} is untargeted; use apgd-t (targeted DLR) or apgd-ce for targeted goals.`, {});
  }
  if (loss === 'dlr-targeted' && !input.targets) {
    throw new RampartError('INTERNAL', `${id}: the targeted DLR loss needs targets.`, {});
  }
  const objective: ApgdObjective = { loss, targets: input.targets, success: input.targets ? 'targeted' : 'untargeted' };
  return attackBatch(input, context, objective, async (progress) => {
    await runRestarts(context.model, input.x, input.labels, objective, input.threat, options, context.random, progress, hooks);
  });
}

/**
 * APGD-T as AutoAttack runs it for an untargeted goal: for r = 1..k, target every sample's r-th most likely class
 * other than its true label (ranked on the clean input) with the targeted DLR loss, attacking only the samples
 * not yet misclassified; any misclassification counts as success. With `input.targets` (a targeted goal) it
 * attacks exactly those targets instead.
 */
export async function runApgdTargeted(
  id: string,
  input: AttackInput,
  context: { model: DifferentiableModel; random: Random },
  options: ApgdTargetedOptions,
  hooks: ApgdHooks = {},
): Promise<Tensor> {
  if (input.targets) return runApgd(id, 'dlr-targeted', input, context, options, hooks);
  checkInput(id, input, context.model, 4);
  const classes = context.model.numClasses;
  const objective: ApgdObjective = { loss: 'dlr-targeted', success: 'untargeted' };
  return attackBatch(input, context, objective, async (progress, clean) => {
    const n = input.labels.length;
    const k = Math.min(options.targetClasses, classes - 1);
    // Rank the non-true classes of every sample by their clean logit.
    const ranked = Array.from({ length: n }, (_, i) => {
      const row = clean.subarray(i * classes, (i + 1) * classes);
      return Array.from({ length: classes }, (_, c) => c)
        .filter((c) => c !== input.labels[i])
        .sort((a, b) => row[b] - row[a] || a - b);
    });
    for (let r = 0; r < k; r++) {
      const targets = Int32Array.from(ranked, (order) => order[r]);
      await runRestarts(context.model, input.x, input.labels, { ...objective, targets }, input.threat, options, context.random, progress, hooks);
    }
  });
}

/** Common frame: validate ε, skip samples already successful on the clean input, assemble the output tensor. */
async function attackBatch(
  input: AttackInput,
  context: { model: DifferentiableModel; random: Random },
  objective: ApgdObjective,
  body: (progress: Progress, cleanLogits: Float32Array) => Promise<void>,
): Promise<Tensor> {
  const { x, labels, threat } = input;
  const n = labels.length;
  const progress: Progress = {
    points: Float32Array.from(x.dataSync() as Float32Array),
    done: new Uint8Array(n),
    bestLoss: new Float32Array(n).fill(-Infinity),
  };
  if (n === 0 || threat.epsilon === 0) return tf.clone(x);
  const clean = await predict(context.model, x);
  for (let i = 0; i < n; i++) {
    if (isSuccess(objective, clean.predictions[i], labels[i], input.targets ? input.targets[i] : -1)) progress.done[i] = 1;
  }
  await body(progress, clean.logits);
  return tf.tensor(progress.points, x.shape);
}
