import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { tf, type Tensor } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import type { DifferentiableModel } from '../engine/model.js';
import type { TfjsModel } from '../engine/tfjs-model.js';
import { distances } from '../threat/norms.js';
import { threatModel, type Norm } from '../threat/threat-model.js';
import { isRampartError } from '../errors.js';
import { apgdCheckpoints, shouldHalveStep, runApgd, apgdOptionsSchema, type ApgdHooks } from './apgd.js';
import { apgdCe } from './apgd-ce.js';
import { apgdDlr } from './apgd-dlr.js';
import { apgdT } from './apgd-t.js';
import { binaryLinearModel, linearLogits, minimalLinearDistance, multinomialLinearModel, randomWeights } from '../../test/helpers/linear-models.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

const attacks = [apgdCe, apgdDlr, apgdT] as const;

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

/** Predicted classes of a batch. */
async function predict(model: DifferentiableModel, x: Tensor): Promise<Int32Array> {
  const logits = await model.logits(x);
  const predictions = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
  logits.dispose();
  return Int32Array.from(predictions);
}

async function runAttack(
  attack: (typeof attacks)[number],
  model: DifferentiableModel,
  x: Tensor,
  labels: Int32Array,
  norm: Norm,
  epsilon: number,
  options: Record<string, unknown> = {},
  seed = 0,
  targets?: Int32Array,
): Promise<Tensor> {
  const threat = threatModel({ norm, epsilon, bounds: model.bounds as [number, number] });
  return attack.run({ x, labels, targets, threat }, { model, random: createRandom(seed) }, attack.options.parse(options) as never);
}

describe('APGD step-size schedule', () => {
  it('checkpoints follow p0 = 0, p1 = 0.22, p(j+1) = p(j) + max(p(j) − p(j−1) − 0.03, 0.06)', () => {
    expect(apgdCheckpoints(100)).toEqual([0, 22, 41, 57, 70, 80, 87, 93, 99]);
    expect(apgdCheckpoints(1000)).toEqual([0, 220, 410, 570, 700, 800, 870, 930, 990]);
    expect(apgdCheckpoints(50)).toEqual([0, 11, 21, 29, 35, 40, 44, 47, 50]);
    // small budgets: duplicates removed, still increasing and within the budget
    const ten = apgdCheckpoints(10);
    expect(ten[0]).toBe(0);
    for (let j = 1; j < ten.length; j++) expect(ten[j]).toBeGreaterThan(ten[j - 1]);
    expect(ten[ten.length - 1]).toBeLessThanOrEqual(10);
    expect(apgdCheckpoints(1)).toEqual([0, 1]);
  });

  it('agrees with the reference implementation’s counter schedule when steps is a multiple of 100', () => {
    // The reference code checks after k iterations, k starting at ⌊0.22 N⌋ and shrinking by ⌊0.03 N⌋ to at least ⌊0.06 N⌋.
    for (const steps of [100, 200, 500]) {
      const reference = [0];
      let k = Math.floor(0.22 * steps);
      let at = 0;
      while (at + k <= steps) {
        at += k;
        reference.push(at);
        k = Math.max(k - Math.floor(0.03 * steps), Math.floor(0.06 * steps));
      }
      expect(apgdCheckpoints(steps)).toEqual(reference);
    }
  });

  it('halves on too few increases (condition 1) or on a stall after an unchanged step (condition 2)', () => {
    const base = { window: 22, rho: 0.75, halvedAtLastCheckpoint: false, bestLossAtLastCheckpoint: 1, bestLoss: 2 };
    expect(shouldHalveStep({ ...base, increases: 16 })).toBe(true); // 16 < 16.5
    expect(shouldHalveStep({ ...base, increases: 17 })).toBe(false);
    expect(shouldHalveStep({ ...base, increases: 22, bestLoss: 1 })).toBe(true); // no improvement, η unchanged
    expect(shouldHalveStep({ ...base, increases: 22, bestLoss: 1, halvedAtLastCheckpoint: true })).toBe(false);
    expect(shouldHalveStep({ ...base, increases: 22, bestLoss: 0.5 })).toBe(true);
  });

  it('halves η at every checkpoint when the loss has saturated', async () => {
    // A robust sample of a binary linear model: the first step (size 2ε) reaches the loss-maximising corner of the
    // ball, after which the loss never increases, so condition 1 halves η at each of the 8 checkpoints.
    const model = binaryLinearModel([1, -2, 0.5, 1.5], 0, { bounds: [-10, 10] });
    const x = tf.tensor2d([[2, -1, 1, 1]]); // z = 2 + 2 + 0.5 + 1.5 = 6, class 1, distance 6/5 = 1.2 in linf
    const events: Array<{ iteration: number; stepSize: number; halved: number }> = [];
    const hooks: ApgdHooks = { onCheckpoint: (e) => events.push({ iteration: e.iteration, stepSize: e.stepSizes[0], halved: e.halved[0] }) };
    const threat = threatModel({ norm: 'linf', epsilon: 0.5, bounds: [-10, 10] });
    const adv = await runApgd('apgd-ce', 'cross-entropy', { x, labels: Int32Array.from([1]), threat }, { model, random: createRandom(1) },
      apgdOptionsSchema.parse({ randomStart: false }), hooks);
    expect(events.map((e) => e.iteration)).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
    events.forEach((e, j) => {
      expect(e.halved).toBe(1);
      expect(e.stepSize).toBeCloseTo(1 / 2 ** (j + 1), 10);
    });
    // and the returned point is that corner: x − ε·sign(w)
    expect(Array.from(adv.dataSync())).toEqual([1.5, -0.5, 0.5, 0.5]);
    tf.dispose([x, adv]);
    model.dispose();
  });
});

/**
 * A 5-class linear model and 16 samples each at distance exactly 1 (in `norm`) from its nearest decision boundary.
 * The first `relevant` classes have random weights and no bias, so their pairwise boundary distances are
 * homogeneous in x and rescaling a sample by its distance puts it at distance 1; the other classes are distractors
 * (zero weights, bias −1000) that no sample comes near but that give the DLR losses their 3rd and 4th logits.
 * With relevant = 2 the problem is binary in effect (any attack's ascent direction is the optimal one); with
 * relevant = 5 an untargeted loss may climb towards a class that is not the nearest, while APGD-T tries every class.
 */
function unitDistanceProblem(norm: Norm, relevant: number, seed: number) {
  const classes = 5;
  const random = createRandom(seed);
  const d = 12;
  const n = 16;
  const weights = randomWeights(classes, d, random).map((row, k) => (k < relevant ? row : row.map(() => 0)));
  const bias = Array.from({ length: classes }, (_, k) => (k < relevant ? 0 : -1000));
  const values = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; ) {
    const raw = Array.from({ length: d }, () => random.normal());
    const z = linearLogits(weights, bias, raw);
    const label = z.indexOf(Math.max(...z));
    const { distance } = minimalLinearDistance(weights, bias, raw, label, norm);
    // keep the rescaled sample well inside the bounds, so they never bind
    if (raw.some((v) => Math.abs(v / distance) > 20)) continue;
    raw.forEach((v, j) => (values[i * d + j] = v / distance));
    labels[i++] = label;
  }
  const model = multinomialLinearModel(weights, bias, { bounds: [-50, 50] });
  return { model, x: tf.tensor2d(values, [n, d]), labels, weights, bias };
}

describe('APGD on linear models with known minimal distances', () => {
  const cases = [
    ...attacks.map((attack) => ({ attack, relevant: 2 })),
    { attack: apgdT, relevant: 5 },
  ];
  for (const norm of ['linf', 'l2'] as const) {
    for (const { attack, relevant } of cases) {
      it(`${attack.id} ${norm}, ${relevant} competing classes: every sample fooled at 1.02 × the minimal distance, none at 0.98`, async () => {
        const { model, x, labels, weights, bias } = unitDistanceProblem(norm, relevant, norm === 'linf' ? 3 : 4);
        const xs = x.dataSync();
        // the construction put every sample at distance 1
        for (let i = 0; i < labels.length; i++) {
          expect(minimalLinearDistance(weights, bias, xs.subarray(i * 12, (i + 1) * 12), labels[i], norm).distance).toBeCloseTo(1, 4);
        }
        const above = await runAttack(attack, model, x, labels, norm, 1.02);
        const below = await runAttack(attack, model, x, labels, norm, 0.98);
        const fooledAbove = Array.from(await predict(model, above)).filter((p, i) => p !== labels[i]).length;
        const fooledBelow = Array.from(await predict(model, below)).filter((p, i) => p !== labels[i]).length;
        expect(fooledAbove).toBe(labels.length);
        expect(fooledBelow).toBe(0);
        for (const v of distances(above, x, norm)) expect(v).toBeLessThanOrEqual(1.02 * (1 + 1e-5));
        for (const v of distances(below, x, norm)) expect(v).toBeLessThanOrEqual(0.98 * (1 + 1e-5));
        tf.dispose([x, above, below]);
        model.dispose();
      });
    }
  }

  it('apgd-ce, binary logistic model: fooled at 1.01 |w·x + b|/‖w‖₁, not at 0.99', async () => {
    const w = [0.5, -1, 2, 0.25, -0.75];
    const model = binaryLinearModel(w, 0.3, { bounds: [-10, 10] });
    const rows = [
      [1, 0.5, 0.8, -1, 0.2],
      [-0.5, 1, -0.6, 0.4, 1],
      [0.3, -0.2, 0.1, 2, -1],
    ];
    const l1 = w.reduce((s, v) => s + Math.abs(v), 0);
    for (const row of rows) {
      const z = w.reduce((s, v, i) => s + v * row[i], 0.3);
      const distance = Math.abs(z) / l1;
      const label = Int32Array.from([z > 0 ? 1 : 0]);
      const x = tf.tensor2d([row]);
      const above = await runAttack(apgdCe, model, x, label, 'linf', distance * 1.01);
      const below = await runAttack(apgdCe, model, x, label, 'linf', distance * 0.99);
      expect((await predict(model, above))[0]).not.toBe(label[0]);
      expect((await predict(model, below))[0]).toBe(label[0]);
      tf.dispose([x, above, below]);
    }
    model.dispose();
  });
});

describe('APGD targeted goals', () => {
  it('apgd-t and apgd-ce reach the given target classes', async () => {
    const { model, x, labels } = unitDistanceProblem('linf', 5, 7);
    const targets = Int32Array.from(labels, (y, i) => (y + 1 + (i % 4)) % 5);
    for (const attack of [apgdT, apgdCe]) {
      const adv = await runAttack(attack, model, x, labels, 'linf', 6, {}, 0, targets);
      expect(Array.from(await predict(model, adv))).toEqual(Array.from(targets));
      for (const v of distances(adv, x, 'linf')) expect(v).toBeLessThanOrEqual(6 + 1e-5);
      adv.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('apgd-t without targets (untargeted goal) tries the top-k classes: with k = 1 it misses samples whose nearest boundary is to a less likely class', async () => {
    // Class 1 is the most likely wrong class but far away; class 2 is less likely but near in l∞.
    // z0 = 3·x0, z1 = 2.5·x0 (l∞ distance 0.5/0.5 = 1), z2 = 10·x1 + 2 (l∞ distance (3 − 2.2)/(3 + 10) ≈ 0.06)
    const model = multinomialLinearModel(
      [
        [3, 0, 0],
        [2.5, 0, 0],
        [0, 10, 0],
        [0, 0, 1],
      ],
      [0, 0, 2, -5],
      { bounds: [-10, 10] },
    );
    const x = tf.tensor2d([[1, 0.02, 0]]); // z = [3, 2.5, 2.2, -5]
    const labels = Int32Array.from([0]);
    const one = await runAttack(apgdT, model, x, labels, 'linf', 0.1, { targetClasses: 1 });
    const two = await runAttack(apgdT, model, x, labels, 'linf', 0.1, { targetClasses: 2 });
    expect((await predict(model, one))[0]).toBe(0);
    expect((await predict(model, two))[0]).toBe(2);
    tf.dispose([x, one, two]);
    model.dispose();
  });
});

describe('APGD invariants', () => {
  it('every returned example lies in the ε-ball and in bounds (property)', async () => {
    const model = multinomialLinearModel(randomWeights(4, 6, createRandom(9), 3), [0.1, -0.2, 0.3, 0], { bounds: [0, 1] });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...attacks),
        fc.constantFrom<Norm>('linf', 'l2'),
        fc.double({ min: 0.01, max: 1.5, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        async (attack, norm, epsilon, seed) => {
          const r = createRandom(seed);
          const x = tf.tensor2d(Float32Array.from({ length: 5 * 6 }, () => r.next()), [5, 6]);
          const labels = Int32Array.from({ length: 5 }, () => r.int(4));
          const adv = await runAttack(attack, model, x, labels, norm, epsilon, { steps: 12 }, seed);
          for (const d of distances(adv, x, norm)) expect(d).toBeLessThanOrEqual(epsilon + 1e-6);
          const [low, high] = tf.tidy(() => [tf.min(adv).dataSync()[0], tf.max(adv).dataSync()[0]]);
          expect(low).toBeGreaterThanOrEqual(0);
          expect(high).toBeLessThanOrEqual(1);
          tf.dispose([x, adv]);
        },
      ),
      { numRuns: 25, seed: 3 },
    );
    model.dispose();
  });

  it('misclassified samples come back unchanged; ε = 0 returns the input', async () => {
    const { model, x, labels } = unitDistanceProblem('linf', 5, 11);
    const wrong = Int32Array.from(labels, (y, i) => (i % 2 === 0 ? (y + 1) % 5 : y));
    const adv = await runAttack(apgdDlr, model, x, wrong, 'linf', 0.5);
    const a = adv.dataSync();
    const b = x.dataSync();
    for (let i = 0; i < labels.length; i += 2) for (let j = 0; j < 12; j++) expect(a[i * 12 + j]).toBe(b[i * 12 + j]);
    const zero = await runAttack(apgdCe, model, x, labels, 'linf', 0);
    expect(Array.from(zero.dataSync())).toEqual(Array.from(b));
    tf.dispose([x, adv, zero]);
    model.dispose();
  });

  it('same seed, same output', async () => {
    const { model, x, labels } = unitDistanceProblem('l2', 5, 13);
    for (const attack of attacks) {
      const first = await runAttack(attack, model, x, labels, 'l2', 0.9, { steps: 30, restarts: 2 }, 42);
      const second = await runAttack(attack, model, x, labels, 'l2', 0.9, { steps: 30, restarts: 2 }, 42);
      expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()));
      tf.dispose([first, second]);
    }
    tf.dispose(x);
    model.dispose();
  });

  it('leaves no tensors behind', async () => {
    const { model, x, labels } = unitDistanceProblem('linf', 5, 17);
    const targets = Int32Array.from(labels, (y) => (y + 2) % 5);
    for (const attack of attacks) {
      for (const norm of ['linf', 'l2'] as const) {
        await expectNoLeaks(async () => {
          // a robust and a fragile ε: both the full loop and the early exit of fooled samples
          for (const epsilon of [0.5, 1.5]) (await runAttack(attack, model, x, labels, norm, epsilon, { steps: 25, restarts: 2 })).dispose();
          if (attack.targeted) (await runAttack(attack, model, x, labels, norm, 2, { steps: 25 }, 0, targets)).dispose();
        });
      }
    }
    tf.dispose(x);
    model.dispose();
  });
});

describe('APGD input errors', () => {
  let model: TfjsModel;
  let binary: TfjsModel;
  let x: Tensor;
  beforeAll(() => {
    model = multinomialLinearModel(randomWeights(4, 3, createRandom(1)), [0, 0, 0, 0]);
    binary = binaryLinearModel([1, 2, 3], 0);
    x = tf.tensor2d([[0.1, 0.2, 0.3]]);
  });
  afterAll(() => {
    model.dispose();
    binary.dispose();
    x.dispose();
  });

  const expectError = async (promise: Promise<unknown>, code: string, pattern: RegExp) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRampartError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    expect((error as Error).message).toMatch(pattern);
  };

  it('rejects l1/l0, too few classes, bad labels and untargeted-only misuse', async () => {
    const labels = Int32Array.from([1]);
    await expectNoLeaks(async () => {
      await expectError(runAttack(apgdCe, model, x, labels, 'l1', 1), 'BAD_OPTION', /linf and l2/);
      await expectError(runAttack(apgdDlr, binary, x, labels, 'linf', 1), 'MODEL_UNSUPPORTED', /at least 3 classes/);
      await expectError(runAttack(apgdT, binary, x, labels, 'linf', 1), 'MODEL_UNSUPPORTED', /at least 4 classes/);
      await expectError(runAttack(apgdCe, model, x, Int32Array.from([1, 2]), 'linf', 1), 'BAD_OPTION', /2 labels for a batch of 1/);
      await expectError(runAttack(apgdCe, model, x, Int32Array.from([7]), 'linf', 1), 'LABEL_OUT_OF_RANGE', /\[0, 4\)/);
      await expectError(runAttack(apgdDlr, model, x, labels, 'linf', 1, {}, 0, Int32Array.from([2])), 'BAD_OPTION', /untargeted/);
    });
    expect(() => apgdCe.options.parse({ steps: 0 })).toThrow();
    expect(() => apgdT.options.parse({ targetClasses: 0 })).toThrow();
  });
});
