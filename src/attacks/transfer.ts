/**
 * Transfer attacks: adversarial examples crafted on a *surrogate* model (any model the chosen attack can run on,
 * typically a differentiable one with a white-box attack) and replayed on a *target* model that is only queried
 * once per example, by an independent forward pass. Crafting goes through the trusted harness (`runAttacks`:
 * validation, projection, re-verification on the surrogate); the target sees only the final, checked examples.
 *
 * Reported per ε:
 * - surrogate success: the harness's verified attack success rate on the surrogate;
 * - transfer success rate: among samples the target classifies correctly *and* the surrogate attack broke, the
 *   fraction whose example also fools the target (misclassified, or the target class for targeted goals);
 * - transfer success over all target-correct samples (examples the surrogate failed on may transfer too);
 * - the target's robust accuracy on the transferred examples (fraction of all samples still right).
 * A model transferring to itself reaches exactly its white-box success rate.
 *
 * Reference for the method: N. Papernot, P. McDaniel and I. Goodfellow, "Transferability in Machine Learning: from
 * Phenomena to Black-Box Attacks using Adversarial Samples", 2016, https://arxiv.org/abs/1605.07277.
 * Norms: those of the attack. Knowledge: the attack's on the surrogate; the target needs only decisions.
 *
 * @example
 * const report = await runTransferAttack({ surrogate: await loadModel('builtin:mnist-mlp'), target: await loadModel('builtin:mnist-cnn'),
 *   data: await openDataset('mnist:test', { limit: 100 }), attack: 'pgd', norm: 'linf', epsilons: [0.1, 0.3] });
 * report.results[1].transferSuccessRate; // fraction of surrogate successes that also fool the CNN
 */
import { tf } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import type { Dataset } from '../data/dataset.js';
import { RampartError } from '../errors.js';
import { predictedProbability } from '../metrics/robustness.js';
import type { Goal, Norm } from '../threat/threat-model.js';
import { createVerifier, runAttacks, type AttackReportEntry, type Verifier } from './harness.js';

export interface TransferAttackOptions {
  surrogate: Model;
  target: Model;
  data: Dataset;
  /** Attack id in the registry (e.g. `pgd`). */
  attack: string;
  options?: Record<string, unknown>;
  norm: Norm;
  epsilons: number[];
  goal?: Goal;
  seed?: number;
  batchSize?: number;
  /** Independent forward pass of the surrogate (default `createVerifier(surrogate)`). */
  surrogateVerifier?: Verifier;
  /** Independent forward pass that judges the target (default `createVerifier(target)`). */
  targetVerifier?: Verifier;
  onProgress?: (done: number, total: number, note: string) => void;
}

export interface TransferEpsilonResult {
  epsilon: number;
  surrogate: {
    /** Verified success rate on the surrogate (over samples it classifies correctly). */
    attackSuccessRate: number | null;
    successes: number;
    robustAccuracy: number;
  };
  /** Samples correct on the target and broken on the surrogate (the transfer success rate's denominator). */
  eligible: number;
  /** Of those, examples that also fool the target. */
  transferred: number;
  /** transferred / eligible; null when nothing is eligible. */
  transferSuccessRate: number | null;
  /** Examples fooling the target over all samples the target classifies correctly; null when none is. */
  transferSuccessRateAll: number | null;
  /** Fraction of all samples the target still classifies correctly (the correct class, untargeted or not). */
  targetRobustAccuracy: number;
}

export interface TransferReport {
  attack: { id: string; params: unknown; kind: AttackReportEntry['kind']; requires: AttackReportEntry['requires'] };
  threat: { norm: Norm; goal: Goal; epsilons: number[] };
  clean: { count: number; surrogate: { accuracy: number; correct: number }; target: { accuracy: number; correct: number } };
  verifiers: { surrogate: string; target: string };
  results: TransferEpsilonResult[];
  seconds: number;
}

/** Predicted classes of the target for rows of a flat buffer, batch by batch (only the argmax is used). */
async function predict(model: Model, values: Float32Array, shape: readonly number[], batchSize: number): Promise<Int32Array> {
  const size = shape.reduce((a, b) => a * b, 1);
  const n = values.length / size;
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const c = Math.min(batchSize, n - start);
    const x = tf.tensor(values.subarray(start * size, (start + c) * size), [c, ...shape], 'float32');
    try {
      const logits = await model.logits(x);
      const data = (await logits.data()) as Float32Array;
      const classes = logits.shape[1];
      logits.dispose();
      for (let i = 0; i < c; i++) out[start + i] = predictedProbability(data, i, classes).predicted;
    } finally {
      x.dispose();
    }
  }
  return out;
}

/** Crafts on the surrogate through the harness, then evaluates the examples on the target. */
export async function runTransferAttack(options: TransferAttackOptions): Promise<TransferReport> {
  const { surrogate, target, data } = options;
  const started = performance.now();
  const problems: string[] = [];
  const sameShape = surrogate.inputShape.length === target.inputShape.length && surrogate.inputShape.every((d, i) => d === target.inputShape[i]);
  if (!sameShape) problems.push(`the surrogate takes inputs [${surrogate.inputShape.join(', ')}] but the target takes [${target.inputShape.join(', ')}]; both must read the same data`);
  if (surrogate.numClasses !== target.numClasses) problems.push(`the surrogate has ${surrogate.numClasses} classes but the target has ${target.numClasses}; both must label the same classes`);
  if (surrogate.bounds[0] !== target.bounds[0] || surrogate.bounds[1] !== target.bounds[1]) {
    problems.push(`the surrogate's input bounds [${surrogate.bounds.join(', ')}] differ from the target's [${target.bounds.join(', ')}]`);
  }
  if (options.epsilons.length === 0) problems.push('give at least one epsilon');
  if (problems.length > 0) throw new RampartError('BAD_OPTION', `runTransferAttack: ${problems.join('; ')}.`, { problems });
  const batchSize = options.batchSize ?? 100;
  const goal: Goal = options.goal ?? { kind: 'untargeted' };
  const ownSurrogateVerifier = options.surrogateVerifier === undefined;
  const ownTargetVerifier = options.targetVerifier === undefined;
  const surrogateVerifier = options.surrogateVerifier ?? (await createVerifier(surrogate));
  const targetVerifier = options.targetVerifier ?? (await createVerifier(target));
  try {
    const n = data.count;
    const shape = data.sampleShape;
    const size = shape.reduce((a, b) => a * b, 1);
    const cleanX = new Float32Array(n * size);
    const labels = new Int32Array(n);
    for await (const batch of data.batches(batchSize)) {
      cleanX.set(batch.x, batch.start * size);
      labels.set(batch.y, batch.start);
    }
    const targetClean = await predict(targetVerifier.model, cleanX, shape, batchSize);
    const targetCorrect = Uint8Array.from(targetClean, (p, i) => Number(p === labels[i]));
    const targetCorrectCount = targetCorrect.reduce((a, b) => a + b, 0);
    const results: TransferEpsilonResult[] = [];
    let attackInfo: TransferReport['attack'] | undefined;
    let surrogateClean = { accuracy: 0, correct: 0 };
    for (const [e, epsilon] of options.epsilons.entries()) {
      const report = await runAttacks({
        model: surrogate,
        data,
        verifier: surrogateVerifier,
        attacks: [{ id: options.attack, options: options.options ?? {} }],
        norm: options.norm,
        epsilons: [epsilon],
        goal,
        seed: options.seed ?? 0,
        batchSize,
        keepAdversarial: true,
        onProgress: options.onProgress ? (done, total, note) => options.onProgress!(e * total + done, options.epsilons.length * total, `${note} ε=${epsilon}`) : undefined,
      });
      const entry = report.attacks[0];
      attackInfo = { id: entry.id, params: entry.params, kind: entry.kind, requires: entry.requires };
      surrogateClean = { accuracy: report.clean.accuracy, correct: report.clean.correct };
      const adversarial = report.adversarial!;
      const predicted = await predict(targetVerifier.model, adversarial.x, shape, batchSize);
      const fools = (i: number) => (adversarial.targets ? predicted[i] === adversarial.targets[i] : predicted[i] !== labels[i]);
      let eligible = 0;
      let transferred = 0;
      let foolsAll = 0;
      let robust = 0;
      for (let i = 0; i < n; i++) {
        if (targetCorrect[i] && predicted[i] === labels[i]) robust++;
        if (!targetCorrect[i]) continue;
        if (fools(i)) foolsAll++;
        if (adversarial.success[i]) {
          eligible++;
          if (fools(i)) transferred++;
        }
      }
      const result = entry.results[0];
      results.push({
        epsilon,
        surrogate: { attackSuccessRate: result.attackSuccessRate, successes: result.successes, robustAccuracy: result.robustAccuracy },
        eligible,
        transferred,
        transferSuccessRate: eligible > 0 ? transferred / eligible : null,
        transferSuccessRateAll: targetCorrectCount > 0 ? foolsAll / targetCorrectCount : null,
        targetRobustAccuracy: n > 0 ? robust / n : 0,
      });
    }
    return {
      attack: attackInfo!,
      threat: { norm: options.norm, goal, epsilons: [...options.epsilons] },
      clean: { count: n, surrogate: surrogateClean, target: { accuracy: n > 0 ? targetCorrectCount / n : 0, correct: targetCorrectCount } },
      verifiers: { surrogate: surrogateVerifier.source, target: targetVerifier.source },
      results,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (ownSurrogateVerifier) surrogateVerifier.dispose();
    if (ownTargetVerifier) targetVerifier.dispose();
  }
}
