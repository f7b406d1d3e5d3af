/**
 * HopSkipJump: near-minimal distances on linear models (closed form), label-only access, per-sample query
 * budgets, targeted starts, determinism, leaks; on builtin:mnist-cnn its median L2 is within 1.5× of C&W's on the
 * same digits (a 100-digit comparison is scripts/compare-hsja-cw.ts, figures in docs/attacks.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf, type Tensor } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { builtinModelsDir, loadModel } from '../engine/load.js';
import { loadOnnxModel } from '../engine/onnx/index.js';
import { createRandom } from '../engine/random.js';
import type { Model } from '../engine/model.js';
import { loadAll, openDataset } from '../data/index.js';
import { attackBatch, createVerifier } from './harness.js';
import { hopSkipJump } from './hop-skip-jump.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { linearProblem, minimalLinearDistance, multinomialLinearModel } from '../../test/helpers/linear-models.js';

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A model that exposes only the predicted label: logits are a one-hot of the argmax times a random scale. */
function labelOnly(model: Model, seed: number): Model {
  const random = createRandom(seed);
  return {
    ...model,
    logits: async (x) => {
      const logits = await model.logits(x);
      const out = tf.tidy(() => tf.mul(tf.oneHot(tf.argMax(logits, 1), model.numClasses), 1 + random.next() * 100) as tf.Tensor2D);
      logits.dispose();
      return out;
    },
    dispose: () => undefined,
  };
}

describe('hop-skip-jump', () => {
  const bounds: [number, number] = [-10, 10];
  const problem = linearProblem(createRandom(5), 3, 20, 6);
  let model: ReturnType<typeof multinomialLinearModel>;
  let x: Tensor;

  beforeAll(async () => {
    await setupBackend();
    model = multinomialLinearModel(problem.weights, problem.bias, { bounds: [-10, 10] });
    x = tf.tensor(problem.x, [problem.n, problem.d]);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  /** Distance from sample i to the boundary between its class and class j (bounds ignored). */
  const toClass = (i: number, j: number, norm: 'l2' | 'linf') => {
    const xi = problem.x.subarray(i * problem.d, (i + 1) * problem.d);
    const y = problem.labels[i];
    const diff = problem.weights[y].map((w, k) => w - problem.weights[j][k]);
    const gap = diff.reduce((s, w, k) => s + w * xi[k], problem.bias[y] - problem.bias[j]);
    const dual = norm === 'l2' ? Math.sqrt(diff.reduce((s, w) => s + w * w, 0)) : diff.reduce((s, w) => s + Math.abs(w), 0);
    return gap / dual;
  };

  it.each(['l2', 'linf'] as const)('finds near-minimal %s adversarials on a linear model, verified by the harness', async (norm) => {
    const result = await attackBatch({ model, attack: 'hop-skip-jump', options: { queries: 3000 }, x, labels: problem.labels, threat: { norm, epsilon: 100, bounds }, seed: 3 });
    result.xAdv.dispose();
    expect(Array.from(result.success)).toEqual(new Array(problem.n).fill(1));
    expect(Array.from(result.invalid)).toEqual(new Array(problem.n).fill(0));
    for (let i = 0; i < problem.n; i++) {
      const minimal = minimalLinearDistance(problem.weights, problem.bias, problem.x.subarray(i * problem.d, (i + 1) * problem.d), problem.labels[i], norm).distance;
      expect(result.distance[i]).toBeGreaterThanOrEqual(minimal * (1 - 1e-4));
      // against the boundary of the class it reached (the walk may end at a class that is not the nearest)
      const reached = toClass(i, result.predicted[i], norm);
      expect(result.distance[i]).toBeLessThanOrEqual(reached * (norm === 'l2' ? 1.05 : 1.5));
    }
  });

  it('uses only labels: a model that hides everything but the argmax gives the same adversarials', async () => {
    const run = async (m: Model) => {
      const r = await attackBatch({ model: m, attack: 'hop-skip-jump', options: { queries: 800 }, x, labels: problem.labels, threat: { norm: 'l2', epsilon: 100, bounds }, seed: 9, verifier: await createVerifier(model) });
      const values = Array.from((await r.xAdv.data()) as Float32Array);
      r.xAdv.dispose();
      return values;
    };
    expect(await run(labelOnly(model, 1))).toEqual(await run(model));
  });

  it('keeps to the per-sample query budget and is deterministic and leak-free', async () => {
    const run = () =>
      expectNoLeaks(async () => {
        const r = await attackBatch({ model, attack: 'hop-skip-jump', options: { queries: 500 }, x, labels: problem.labels, threat: { norm: 'l2', epsilon: 100, bounds }, seed: 4 });
        const values = Array.from((await r.xAdv.data()) as Float32Array);
        r.xAdv.dispose();
        return { values, forward: r.queries.forward };
      });
    const a = await run();
    const b = await run();
    expect(a.values).toEqual(b.values);
    expect(a.forward).toBeLessThanOrEqual(problem.n * 500);
    expect(a.forward).toBeGreaterThan(problem.n * 250);
    // a single sample cannot borrow the others' budget
    const one1 = tf.tensor(problem.x.subarray(0, problem.d), [1, problem.d]);
    const one = await attackBatch({ model, attack: 'hop-skip-jump', options: { queries: 300 }, x: one1, labels: problem.labels.slice(0, 1), threat: { norm: 'l2', epsilon: 100, bounds }, seed: 4 });
    one.xAdv.dispose();
    one1.dispose();
    expect(one.queries.forward).toBeLessThanOrEqual(300);
  });

  it('runs targeted from a batch sample of the target class', async () => {
    const targets = Int32Array.from(problem.labels, (y) => (y + 1) % 3);
    const r = await attackBatch({ model, attack: 'hop-skip-jump', options: { queries: 2000 }, x, labels: problem.labels, targets, threat: { norm: 'l2', epsilon: 100, bounds, goal: { kind: 'targeted', targets: 'given' } }, seed: 2 });
    r.xAdv.dispose();
    expect(Array.from(r.predicted)).toEqual(Array.from(targets));
    expect(r.success.every((s) => s === 1)).toBe(true);
  });

  it('starts from another batch sample when noise never leaves the class', async () => {
    // class 1 iff every feature exceeds 0.95: uniform noise essentially never gets there
    const corner: Model = {
      id: 'corner',
      format: 'tfjs-layers',
      inputShape: [4],
      numClasses: 2,
      bounds: [0, 1],
      logits: async (input) => tf.tidy(() => tf.stack([tf.zerosLike(tf.min(input, 1)), tf.mul(tf.sub(tf.min(input, 1), 0.95), 100)], 1) as tf.Tensor2D),
      dispose: () => undefined,
    };
    const xs = tf.tensor2d([0, 0, 0, 0, 1, 1, 1, 1], [2, 4]);
    try {
      const r = await attackBatch({ model: corner, attack: 'hop-skip-jump', options: { queries: 1000, initTries: 20 }, x: xs, labels: Int32Array.of(0, 1), threat: { norm: 'l2', epsilon: 100 }, seed: 1 });
      r.xAdv.dispose();
      expect(r.success[0]).toBe(1);
      // the nearest class-1 point is (0.95, 0.95, 0.95, 0.95): L2 1.9
      expect(r.distance[0]).toBeGreaterThanOrEqual(1.9 - 1e-4);
      expect(r.distance[0]).toBeLessThanOrEqual(1.9 * 1.05);
    } finally {
      xs.dispose();
    }
  });

  it('declares itself a decision-based minimization attack for l2 and linf', () => {
    expect(hopSkipJump.requires).toBe('decisions');
    expect(hopSkipJump.kind).toBe('minimization');
    expect([...hopSkipJump.norms]).toEqual(['l2', 'linf']);
    expect(() => hopSkipJump.options.parse({ queries: 5 })).toThrow();
  });
});

const onnxFile = path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx');
const present = fs.existsSync(path.join(builtinModelsDir(), 'mnist-cnn', 'model.json')) && fs.existsSync(onnxFile);

describe.skipIf(!present)('hop-skip-jump on builtin:mnist-cnn', () => {
  it('reaches a median L2 within 1.5x of C&W on the same 12 digits', { timeout: 120_000 }, async () => {
    await setupBackend();
    const white = await loadModel('builtin:mnist-cnn');
    // HopSkipJump needs forward passes only: the ONNX Runtime path
    const ort = await loadOnnxModel(onnxFile, { forwardOnly: true, bounds: white.bounds, id: onnxFile });
    const data = await loadAll(await openDataset('mnist:test', { limit: 12 }));
    const x = tf.tensor(data.x, [data.count, ...data.sampleShape]);
    const verifier = await createVerifier(ort);
    try {
      const threat = { norm: 'l2' as const, epsilon: 100 };
      const hsja = await attackBatch({ model: ort, attack: 'hop-skip-jump', options: { queries: 2000 }, x, labels: data.y, threat, seed: 1, verifier });
      const cw = await attackBatch({ model: white, attack: 'cw-l2', options: { binarySearchSteps: 3, steps: 100, learningRate: 0.05 }, x, labels: data.y, threat, seed: 1, verifier });
      hsja.xAdv.dispose();
      cw.xAdv.dispose();
      const cleanLogits = await ort.logits(x);
      const clean = tf.tidy(() => tf.argMax(cleanLogits, 1).dataSync() as Int32Array);
      cleanLogits.dispose();
      const correct = [...data.y.keys()].filter((i) => clean[i] === data.y[i]);
      expect(correct.length).toBeGreaterThanOrEqual(10);
      const dist = (r: typeof hsja, i: number) => (r.success[i] ? r.distance[i] : Infinity);
      expect(hsja.invalid.every((v) => v === 0)).toBe(true);
      const ratio = median(correct.map((i) => dist(hsja, i))) / median(correct.map((i) => dist(cw, i)));
      expect(ratio).toBeLessThanOrEqual(1.5);
      expect(hsja.queries.forward).toBeLessThanOrEqual(data.count * 2000);
    } finally {
      x.dispose();
      verifier.dispose();
      ort.dispose();
      white.dispose();
    }
  });
});
