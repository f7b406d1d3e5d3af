/**
 * Square Attack: the p-schedule and margin loss (known values), success on builtin:mnist-cnn (≥ 90% at L∞ ε = 0.3
 * with 1,000 queries on 50 digits), exact per-sample query accounting (a counting wrapper around the model sees
 * exactly what the harness reports), L2, targeted goals, determinism and no tensor leaks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf, type Tensor } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { builtinModelsDir, loadModel } from '../engine/load.js';
import type { Model } from '../engine/model.js';
import { scoresOnly } from '../engine/query-model.js';
import { loadOnnxModel } from '../engine/onnx/index.js';
import { loadAll, openDataset } from '../data/index.js';
import { distances } from '../threat/norms.js';
import { attackBatch, createVerifier, runAttacks, type Verifier } from './harness.js';
import { marginLoss, squareP } from './square.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

describe('square: schedule and loss', () => {
  it('halves p at the paper milestones of a 10,000-query run, scaled to the budget', () => {
    expect(squareP(0.8, 0, 10000)).toBe(0.8);
    expect(squareP(0.8, 10, 10000)).toBe(0.8);
    expect(squareP(0.8, 11, 10000)).toBe(0.4);
    expect(squareP(0.8, 51, 10000)).toBe(0.2);
    expect(squareP(0.8, 9000, 10000)).toBeCloseTo(0.8 / 512, 12);
    // 1,000-query budget: milestone 10 of 10,000 is iteration 1 of 1,000
    expect(squareP(0.8, 2, 1000)).toBe(0.4);
    expect(squareP(0.8, 501, 1000)).toBeCloseTo(0.8 / 128, 12);
  });
  it('margin loss: own minus best other (untargeted), best other minus target (targeted)', () => {
    const scores = Float32Array.of(3, 1, 2, 0, 5, 1);
    expect(Array.from(marginLoss(scores, 3, [0, 1], undefined))).toEqual([1, 4]);
    expect(Array.from(marginLoss(scores, 3, [0, 1], [2, 0]))).toEqual([1, 5]);
  });
});

const present = fs.existsSync(path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx'));

/** Counts every sample the attack sends through `logits`. */
function counted(model: Model): { model: Model; samples: { n: number } } {
  const samples = { n: 0 };
  return {
    samples,
    model: {
      ...scoresOnly(model),
      logits: (x: Tensor) => {
        samples.n += x.shape[0];
        return model.logits(x);
      },
      dispose: () => undefined,
    },
  };
}

describe.skipIf(!present)('square on builtin:mnist-cnn', () => {
  let model: Model;
  let verifier: Verifier;
  let x: Tensor;
  let labels: Int32Array;

  beforeAll(async () => {
    await setupBackend();
    model = await loadModel('builtin:mnist-cnn');
    verifier = await createVerifier(model, { onnxFile: path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx') });
    const data = await loadAll(await openDataset('mnist:test', { limit: 50 }));
    x = tf.tensor(data.x, [data.count, ...data.sampleShape]);
    labels = data.y;
  }, 60_000);

  afterAll(() => {
    x?.dispose();
    verifier?.dispose();
    model?.dispose();
  });

  it('L∞ ε = 0.3, 1,000 queries: ≥ 90% success; query counts exact; no leaks', async () => {
    // the ONNX Runtime twin itself (the path the harness routes score queries of the TF.js model through)
    const { model: black, samples } = counted(verifier.model);
    const result = await expectNoLeaks(async () => {
      const r = await attackBatch({ model: black, attack: 'square', options: { queries: 1000 }, x, labels, threat: { norm: 'linf', epsilon: 0.3 }, seed: 1, verifier });
      for (const d of distances(r.xAdv, x, 'linf')) expect(d).toBeLessThanOrEqual(0.3 + 1e-6);
      r.xAdv.dispose();
      return r;
    });
    const correct = await cleanCorrect();
    const broken = Array.from(result.success).filter((s, i) => s === 1 && correct[i]).length;
    const rate = broken / correct.filter(Boolean).length;
    expect(rate).toBeGreaterThanOrEqual(0.9);
    expect(result.invalid.every((v) => v === 0)).toBe(true);
    expect(result.queries).toEqual({ forward: samples.n, gradient: 0 });
    const perSample = result.perSampleQueries!;
    expect(perSample).toBeDefined();
    expect(perSample.reduce((a, b) => a + b, 0)).toBe(samples.n);
    for (let i = 0; i < labels.length; i++) {
      expect(perSample[i]).toBeGreaterThanOrEqual(1);
      expect(perSample[i]).toBeLessThanOrEqual(1000);
      if (!result.success[i]) expect(perSample[i]).toBe(1000);
    }
  }, 120_000);

  async function cleanCorrect(): Promise<boolean[]> {
    const logits = await verifier.model.logits(x);
    const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
    logits.dispose();
    return Array.from(labels, (y, i) => predicted[i] === y);
  }

  it('runAttacks reports median and p90 queries to success', async () => {
    const data = await openDataset('mnist:test', { limit: 10 });
    const report = await runAttacks({ model: scoresOnly(model), data, verifier, attacks: [{ id: 'square', options: { queries: 300 } }], norm: 'linf', epsilons: [0.3], seed: 2 });
    const q = report.attacks[0].results[0].queries;
    expect(q.gradient).toBe(0);
    expect(q.toSuccess).not.toBeNull();
    expect(q.toSuccess!.count).toBe(report.attacks[0].results[0].successes);
    expect(q.toSuccess!.median!).toBeGreaterThanOrEqual(1);
    expect(q.toSuccess!.p90!).toBeGreaterThanOrEqual(q.toSuccess!.median!);
    expect(q.toSuccess!.p90!).toBeLessThanOrEqual(300);
  }, 60_000);

  it('attacks a forward-only ONNX model (no gradient path) through ONNX Runtime', async () => {
    const onnx = await loadOnnxModel(path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx'), { forwardOnly: true });
    const few = tf.tidy(() => tf.slice(x, 0, 5));
    const r = await expectNoLeaks(async () => {
      const out = await attackBatch({ model: scoresOnly(onnx), attack: 'square', options: { queries: 200 }, x: few, labels: labels.slice(0, 5), threat: { norm: 'linf', epsilon: 0.3 }, seed: 1 });
      out.xAdv.dispose();
      return out;
    });
    expect(r.success.filter((v) => v === 1).length).toBeGreaterThanOrEqual(4);
    expect(r.perSampleQueries!.reduce((a, b) => a + b, 0)).toBe(r.queries.forward);
    few.dispose();
    onnx.dispose();
  }, 30_000);

  it('L2 ε = 3 and a targeted goal stay in the ball and break most digits; same seed, same result', async () => {
    const few = tf.tidy(() => tf.slice(x, 0, 10));
    const few_labels = labels.slice(0, 10);
    const run = async (seed: number) => {
      const r = await attackBatch({ model: scoresOnly(model), attack: 'square', options: { queries: 300 }, x: few, labels: few_labels, threat: { norm: 'l2', epsilon: 3 }, seed, verifier });
      const d = distances(r.xAdv, few, 'l2');
      const values = Array.from((await r.xAdv.data()) as Float32Array);
      r.xAdv.dispose();
      return { r, d, values };
    };
    const a = await expectNoLeaks(() => run(5));
    const b = await run(5);
    for (const d of a.d) expect(d).toBeLessThanOrEqual(3 + 1e-4);
    expect(a.values).toEqual(b.values);
    expect(Array.from(a.r.perSampleQueries!)).toEqual(Array.from(b.r.perSampleQueries!));
    expect(a.r.success.filter((s) => s === 1).length).toBeGreaterThanOrEqual(6);
    const targets = Int32Array.from(few_labels, (y) => (y + 1) % 10);
    const t = await attackBatch({ model: scoresOnly(model), attack: 'square', options: { queries: 300 }, x: few, labels: few_labels, targets, threat: { norm: 'linf', epsilon: 0.3, goal: { kind: 'targeted', targets: 'given' } }, seed: 1, verifier });
    t.xAdv.dispose();
    expect(t.success.filter((s) => s === 1).length).toBeGreaterThanOrEqual(5);
    few.dispose();
  }, 90_000);
});
