import { describe, it, expect, beforeAll } from 'vitest';
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { arrayDataset, blackBox, functionModel, selfLabelled, tinyMlp } from '../../test/attacks/helpers.js';
import { binaryLinearModel } from '../../test/helpers/linear-models.js';
import { defineAttack, type AnyAttackDefinition } from './define.js';
import { AttackRegistry } from './registry.js';
import { attackRegistry } from './builtin.js';
import { attackBatch, countingModel, invalidProposals, runAttacks, createVerifier, attackOptionKeys, type Verifier } from './harness.js';
import { resolvePreset } from './cascade.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

/** A fixed-ε test attack whose proposal is a function of the clean batch. */
function fakeAttack(id: string, propose: (x: Tensor, epsilon: number) => Tensor, extra: Partial<AnyAttackDefinition> = {}): AnyAttackDefinition {
  return defineAttack({
    id,
    title: id,
    paper: 'test',
    norms: ['linf', 'l2', 'l1', 'l0'],
    requires: 'scores',
    kind: 'fixed-epsilon',
    targeted: true,
    options: z.object({}).strict(),
    run: async (input) => tf.tidy(() => propose(input.x, input.threat.epsilon)),
    ...extra,
  });
}

function registryOf(...definitions: AnyAttackDefinition[]): AttackRegistry {
  const registry = new AttackRegistry();
  for (const d of definitions) registry.register(d);
  return registry;
}

/** Class 1 iff the first value exceeds 0.5: moving x₀ across 0.5 flips the prediction. */
const thresholdModel = () => functionModel(4, 2, (row) => [0.5, row[0]]);

describe('harness: validation before any compute', () => {
  it('reports every problem of a request in one RampartError, without running the model', async () => {
    const model = functionModel(4, 2, () => {
      throw new Error('the model must not run');
    });
    const data = arrayDataset(new Float32Array(8), Int32Array.from([0, 1]), [4], 2);
    const run = runAttacks({ model, data, attacks: [{ id: 'nope' }, { id: 'fgsm' }, { id: 'pgd', options: { steps: -1 } }], norm: 'l1', epsilons: [0.1, -1] });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RampartError);
    const message = (error as RampartError).message;
    expect(message).toMatch(/unknown attack "nope" \(available: fgsm, bim, pgd/);
    expect(message).toMatch(/"fgsm" does not support the l1 norm \(it supports linf, l2\)/);
    expect(message).toMatch(/"fgsm" needs input gradients but model function-model gives none/);
    expect(message).toMatch(/"pgd" options: steps: Number must be greater than 0/);
    expect(message).toMatch(/epsilon -1 must be a finite number ≥ 0/);
    expect(model.calls).toBe(0);
  });

  it('l0 needs integer ε; targeted goals need attacks that can target and targets when given', async () => {
    const untargetable = fakeAttack('no-target', (x) => tf.clone(x), { targeted: false });
    const model = thresholdModel();
    const data = arrayDataset(new Float32Array(8), Int32Array.from([0, 1]), [4], 2);
    const registry = registryOf(untargetable);
    await expect(runAttacks({ model, data, registry, attacks: [{ id: 'no-target' }], norm: 'l0', epsilons: [1.5] })).rejects.toThrow(/integer for the l0 norm/);
    await expect(runAttacks({ model, data, registry, attacks: [{ id: 'no-target' }], norm: 'linf', epsilons: [0.1], goal: { kind: 'targeted', targets: 'random' } })).rejects.toThrow(/"no-target" cannot run targeted/);
    await expect(runAttacks({ model, data, registry: registryOf(fakeAttack('t', (x) => tf.clone(x))), attacks: [{ id: 't' }], norm: 'linf', epsilons: [0.1], goal: { kind: 'targeted', targets: 'given' } })).rejects.toThrow(/needs the targets option/);
    await expect(runAttacks({ model, data, attacks: [], norm: 'linf', epsilons: [0.1] })).rejects.toThrow(/at least one attack/);
    expect(model.calls).toBe(0);
  });

  it('attack option keys come from the schema (for CLI flags)', () => {
    expect(attackOptionKeys(attackRegistry.get('pgd'))).toEqual(expect.arrayContaining(['steps', 'restarts', 'relStepSize', 'schedule']));
    expect(attackOptionKeys(attackRegistry.get('fgsm'))).toEqual(['loss']);
  });

  it('presets name the components that exist and those that are missing', () => {
    const preset = resolvePreset('autoattack', registryOf(fakeAttack('apgd-ce', (x) => tf.clone(x))));
    expect(preset).toEqual({ name: 'autoattack', components: ['apgd-ce', 'apgd-t', 'square'], ran: ['apgd-ce'], missing: ['apgd-t', 'square'] });
    expect(() => resolvePreset('nope', attackRegistry)).toThrow(/Unknown attack preset "nope"/);
  });
});

describe('harness: the trust boundary', () => {
  const x = () => tf.tensor2d([
    [0.45, 0.1, 0.2, 0.3],
    [0.3, 0.9, 0.8, 0.7],
  ]);
  const labels = Int32Array.from([0, 0]);

  it('invalid proposals (non-finite, outside the ball, outside the bounds, wrong shape) are replaced by x and never succeed', async () => {
    const model = thresholdModel();
    const cases: [string, (x: Tensor, e: number) => Tensor, number[]][] = [
      ['nan', (t) => tf.where(tf.tensor2d([[true, false, false, false], [false, false, false, false]]), tf.fill(t.shape, NaN), tf.add(t, tf.tensor2d([[0, 0, 0, 0], [0.1, 0, 0, 0]]))), [1, 0]],
      ['outside-ball', (t) => tf.add(t, tf.tensor2d([[0.2, 0, 0, 0], [0.1, 0, 0, 0]])), [1, 0]],
      ['outside-bounds', (t) => tf.add(t, tf.tensor2d([[0, 0.95, 0, 0], [0, 0, 0, 0]])), [1, 0]],
      ['wrong-shape', () => tf.zeros([2, 3]), [1, 1]],
      ['on-the-edge', (t) => tf.add(t, tf.tensor2d([[0.1 + 5e-7, 0, 0, 0], [0, 0, 0, 0]])), [0, 0]],
    ];
    for (const [id, propose, expectedInvalid] of cases) {
      const clean = x();
      const result = await attackBatch({ model, attack: fakeAttack(id, propose), x: clean, labels, threat: { norm: 'linf', epsilon: 0.1 } });
      expect(Array.from(result.invalid), id).toEqual(expectedInvalid);
      const values = result.xAdv.dataSync();
      const cleanValues = clean.dataSync();
      expectedInvalid.forEach((bad, i) => {
        if (bad) {
          expect(Array.from(values.subarray(i * 4, i * 4 + 4)), id).toEqual(Array.from(cleanValues.subarray(i * 4, i * 4 + 4)));
          expect(result.success[i], id).toBe(0);
        }
      });
      tf.dispose([clean, result.xAdv]);
    }
    // the edge case is valid (within the tolerance), is projected to exactly ε, and flips the prediction
    const clean = x();
    const edge = await attackBatch({ model, attack: fakeAttack('edge', (t) => tf.add(t, tf.tensor2d([[0.1 + 5e-7, 0, 0, 0], [0, 0, 0, 0]]))), x: clean, labels, threat: { norm: 'linf', epsilon: 0.1 } });
    expect(Array.from(edge.success)).toEqual([1, 0]);
    tf.dispose([clean, edge.xAdv]);
  });

  it('checks proposals in float64 with a small tolerance for every norm', () => {
    const clean = Float32Array.from([0.5, 0.5, 0.5, 0.5]);
    const threat = (norm: 'linf' | 'l2' | 'l1' | 'l0', epsilon: number) => ({ norm, epsilon, bounds: [0, 1] as [number, number] });
    expect(invalidProposals(Float32Array.from([0.8, 0.5, 0.5, 0.5]), clean, 4, threat('l2', 0.3), true)[0]).toBe(0);
    expect(invalidProposals(Float32Array.from([0.8, 0.6, 0.5, 0.5]), clean, 4, threat('l2', 0.3), true)[0]).toBe(1);
    expect(invalidProposals(Float32Array.from([0.6, 0.4, 0.5, 0.5]), clean, 4, threat('l1', 0.2), true)[0]).toBe(0);
    expect(invalidProposals(Float32Array.from([0.6, 0.4, 0.51, 0.5]), clean, 4, threat('l1', 0.2), true)[0]).toBe(1);
    expect(invalidProposals(Float32Array.from([1, 0, 0.5, 0.5]), clean, 4, threat('l0', 2), true)[0]).toBe(0);
    expect(invalidProposals(Float32Array.from([1, 0, 0, 0.5]), clean, 4, threat('l0', 2), true)[0]).toBe(1);
    // minimization attacks: no ball, only bounds and finiteness
    expect(invalidProposals(Float32Array.from([1, 0, 0, 0]), clean, 4, threat('l0', 2), false)[0]).toBe(0);
    expect(invalidProposals(Float32Array.from([1, 0, 0, Infinity]), clean, 4, threat('l0', 2), false)[0]).toBe(1);
  });

  it('success is decided by the verifier alone', async () => {
    const model = thresholdModel();
    const clean = x();
    const flip = fakeAttack('flip', (t) => tf.add(t, tf.tensor2d([[0.1, 0, 0, 0], [0, 0, 0, 0]])));
    const stubborn: Verifier = { model: functionModel(4, 2, () => [1, 0], 'always-0'), kind: 'tfjs', source: 'test', dispose: () => undefined };
    const trusted = await attackBatch({ model, attack: flip, x: clean, labels, threat: { norm: 'linf', epsilon: 0.1 } });
    const vetoed = await attackBatch({ model, attack: flip, x: clean, labels, threat: { norm: 'linf', epsilon: 0.1 }, verifier: stubborn });
    expect(Array.from(trusted.success)).toEqual([1, 0]);
    expect(Array.from(vetoed.success)).toEqual([0, 0]);
    tf.dispose([clean, trusted.xAdv, vetoed.xAdv]);
  });

  it('the verifier of an ONNX model is its ONNX Runtime path; otherwise a fresh forward', async () => {
    const model = thresholdModel();
    const verifier = await createVerifier(model);
    expect(verifier.kind).toBe('tfjs');
    expect(verifier.model).toBe(model);
    const fakeOnnx = { ...thresholdModel(), format: 'onnx' as const, logitsOrt: async () => tf.tensor2d([[9, 0]]) };
    const ort = await createVerifier(fakeOnnx);
    expect(ort.kind).toBe('onnxruntime');
    const logits = await ort.model.logits(tf.zeros([1, 4]));
    expect(Array.from(logits.dataSync())).toEqual([9, 0]);
    logits.dispose();
  });

  it('counts forward and gradient queries per sample and hides gradients from attacks that do not need them', async () => {
    const model = binaryLinearModel([1, -1], 0);
    const scores = countingModel(model, 'scores');
    expect('lossAndGradient' in scores.model).toBe(false);
    const grads = countingModel(model, 'gradients');
    const t = tf.zeros([3, 2]);
    const labels = tf.tensor1d([0, 1, 0], 'int32');
    tf.dispose(await grads.model.logits(t));
    const lg = await (grads.model as typeof model).lossAndGradient(t, labels);
    tf.dispose([lg.loss, lg.gradient, lg.logits, t, labels]);
    expect(grads.counts).toEqual({ forward: 3, gradient: 3 });
    // a forward pass differentiated by the attack itself (tf.grad over logitsSync) is a gradient query
    const differentiable = grads.model as typeof model;
    const x = tf.zeros([2, 2]);
    tf.dispose(differentiable.logitsSync(x));
    expect(grads.counts).toEqual({ forward: 5, gradient: 3 });
    tf.dispose(tf.grad((input: tf.Tensor) => tf.sum(differentiable.logitsSync(input)))(x));
    expect(grads.counts).toEqual({ forward: 5, gradient: 5 });
    x.dispose();
    model.dispose();
  });
});

describe('harness: runAttacks', () => {
  it('minimization attacks run once and give every ε: success iff verified and within ε', async () => {
    // proposes x₀ → 0.55 (adversarial for the threshold model) — an L∞ distance of 0.55 − x₀ per sample
    let runs = 0;
    const minimize = fakeAttack('min', (t) => {
      runs++;
      return tf.concat([tf.fill([t.shape[0], 1], 0.55), tf.slice(t, [0, 1], [-1, 3])], 1);
    }, { kind: 'minimization' });
    const model = thresholdModel();
    const x = Float32Array.from([0.45, 0, 0, 0, 0.35, 0, 0, 0, 0.25, 0, 0, 0, 0.7, 0, 0, 0]);
    const data = arrayDataset(x, Int32Array.from([0, 0, 0, 1]), [4], 2);
    const report = await runAttacks({ model, data, registry: registryOf(minimize), attacks: [{ id: 'min' }], norm: 'linf', epsilons: [0.05, 0.15, 0.25, 0.35], batchSize: 4 });
    expect(runs).toBe(1);
    expect(report.clean).toEqual({ accuracy: 1, correct: 4, count: 4 });
    const entry = report.attacks[0];
    // distances 0.1, 0.2, 0.3 for the three class-0 samples; the class-1 sample is not broken (0.55 is still class 1)
    expect(entry.results.map((r) => r.successes)).toEqual([0, 1, 2, 3]);
    expect(entry.results.map((r) => r.robustAccuracy)).toEqual([1, 0.75, 0.5, 0.25]);
    expect(entry.minimalPerturbation?.attacked).toBe(4);
    expect(entry.minimalPerturbation?.median).toBeCloseTo(0.25, 5); // 0.1, 0.2, 0.3, ∞
    expect(entry.results[3].perturbation.median).toBeCloseTo(0.2, 5);
    expect(entry.results[3].perturbation.byNorm.l0.median).toBe(1);
  });

  it('independent attacks vs the cascade: later attacks only see points still robust; worst case is per sample', async () => {
    const model = thresholdModel();
    // weak: moves x₀ by 0.1 only when x₀ ≥ 0.449 (breaks the first sample); strong: moves every x₀ by ε
    const weak = fakeAttack('weak', (t) => {
      const first = tf.slice(t, [0, 0], [-1, 1]);
      return tf.add(t, tf.concat([tf.mul(tf.cast(tf.greaterEqual(first, 0.449), 'float32'), 0.1), tf.zeros([t.shape[0], 3])], 1));
    });
    const strong = fakeAttack('strong', (t, e) => tf.add(t, tf.concat([tf.fill([t.shape[0], 1], e), tf.zeros([t.shape[0], 3])], 1)));
    const x = Float32Array.from([0.45, 0, 0, 0, 0.42, 0, 0, 0, 0.1, 0, 0, 0]);
    const data = arrayDataset(x, Int32Array.from([0, 0, 0]), [4], 2);
    const registry = registryOf(weak, strong);
    const attacks = [{ id: 'weak' }, { id: 'strong' }];
    const independent = await runAttacks({ model, data, registry, attacks, norm: 'linf', epsilons: [0.1], batchSize: 3 });
    const cascade = await runAttacks({ model, data, registry, attacks, norm: 'linf', epsilons: [0.1], batchSize: 3, cascade: true });
    expect(independent.attacks.map((a) => a.results[0].attacked)).toEqual([3, 3]);
    expect(independent.attacks.map((a) => a.results[0].successes)).toEqual([1, 2]);
    expect(independent.attacks.map((a) => a.results[0].robustAccuracy)).toEqual([2 / 3, 1 / 3]);
    expect(cascade.attacks.map((a) => a.results[0].attacked)).toEqual([3, 2]);
    expect(cascade.attacks.map((a) => a.results[0].successes)).toEqual([1, 1]);
    // under the cascade robust accuracy is cumulative
    expect(cascade.attacks.map((a) => a.results[0].robustAccuracy)).toEqual([2 / 3, 1 / 3]);
    expect(independent.worstCase).toEqual(cascade.worstCase);
    expect(cascade.worstCase[0]).toMatchObject({ norm: 'linf', epsilon: 0.1, robustAccuracy: 1 / 3 });
  });

  it('chooses targets: seeded random among the other classes (independent of batch size), or least likely', async () => {
    const seen: Int32Array[] = [];
    const spy = fakeAttack('spy', (t) => tf.clone(t));
    const spying: AnyAttackDefinition = { ...spy, run: async (input) => (seen.push(input.targets!), tf.clone(input.x)) };
    const model = functionModel(2, 5, (row) => [row[0], row[1], 0.3, -1, 0.2]);
    const random = createRandom(3);
    const n = 40;
    const x = Float32Array.from({ length: 2 * n }, () => random.next());
    const y = Int32Array.from({ length: n }, (_, i) => (x[2 * i] > x[2 * i + 1] ? 0 : 1));
    const data = arrayDataset(x, y, [2], 5);
    const registry = registryOf(spying);
    const collect = async (goal: { kind: 'targeted'; targets: 'random' | 'least-likely' }, batchSize: number, seed = 0) => {
      seen.length = 0;
      await runAttacks({ model, data, registry, attacks: [{ id: 'spy' }], norm: 'linf', epsilons: [0.1], goal, batchSize, seed });
      return seen.flatMap((t) => Array.from(t));
    };
    const random16 = await collect({ kind: 'targeted', targets: 'random' }, 16);
    const random7 = await collect({ kind: 'targeted', targets: 'random' }, 7);
    expect(random16).toEqual(random7);
    expect(await collect({ kind: 'targeted', targets: 'random' }, 16, 1)).not.toEqual(random16);
    const correctLabels = Array.from(y).filter((label, i) => (x[2 * i] > Math.max(x[2 * i + 1], 0.3) ? 0 : x[2 * i + 1] > Math.max(x[2 * i], 0.3) ? 1 : -1) === label);
    random16.forEach((t, i) => expect(t).not.toBe(correctLabels[i]));
    expect(new Set(random16).size).toBeGreaterThanOrEqual(3);
    expect(new Set(await collect({ kind: 'targeted', targets: 'least-likely' }, 16))).toEqual(new Set([3]));
  });

  it('keeps the worst-case examples at the largest ε for saving, laid out like the data', async () => {
    const model = thresholdModel();
    const strong = fakeAttack('strong', (t, e) => tf.add(t, tf.concat([tf.fill([t.shape[0], 1], e), tf.zeros([t.shape[0], 3])], 1)));
    const x = Float32Array.from([0.45, 0.1, 0, 0, 0.2, 0, 0, 0, 0.9, 0, 0, 0]);
    const data = arrayDataset(x, Int32Array.from([0, 0, 0]), [4], 2);
    const report = await runAttacks({ model, data, registry: registryOf(strong), attacks: [{ id: 'strong' }], norm: 'linf', epsilons: [0.1, 0.01], keepAdversarial: true, batchSize: 2 });
    const adv = report.adversarial!;
    expect(adv.shape).toEqual([3, 4]);
    expect(adv.epsilon).toBe(0.1);
    expect(Array.from(adv.success)).toEqual([1, 0, 0]);
    expect(adv.x[0]).toBeCloseTo(0.55, 6);
    expect(adv.x[4]).toBeCloseTo(0.3, 6); // attacked, not broken: its projected example
    expect(adv.x[8]).toBeCloseTo(0.9, 6); // misclassified when clean: not attacked, kept clean
    expect(Array.from(adv.y)).toEqual([0, 0, 0]);
  });

  it('does not leak tensors over a whole run (fgsm, bim, pgd; cascade and not)', async () => {
    const model = tinyMlp(6, 3, 1);
    const { x, y } = await selfLabelled(model, 12, createRandom(5));
    const data = arrayDataset(x, y, [6], 3);
    await expectNoLeaks(async () => {
      for (const cascade of [false, true]) {
        await runAttacks({ model, data, attacks: [{ id: 'fgsm' }, { id: 'bim' }, { id: 'pgd', options: { steps: 5 } }], norm: 'linf', epsilons: [0.05, 0.2], batchSize: 5, cascade, keepAdversarial: true });
      }
      await runAttacks({ model, data, attacks: [{ id: 'pgd', options: { steps: 3 } }], norm: 'l2', epsilons: [0.3], goal: { kind: 'targeted', targets: 'least-likely' }, batchSize: 7 });
    });
    model.dispose();
  });

  it('rejects a black-box model for gradient attacks', async () => {
    const model = tinyMlp(6, 3, 2);
    const data = arrayDataset(new Float32Array(12), Int32Array.from([0, 1]), [6], 3);
    await expect(runAttacks({ model: blackBox(model), data, attacks: [{ id: 'pgd' }], norm: 'linf', epsilons: [0.1] })).rejects.toThrow(/needs input gradients/);
    model.dispose();
  });
});
