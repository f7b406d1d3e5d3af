/**
 * Boundary attack on linear models: verified success, distances that shrink with more steps towards the
 * closed-form boundary distance, label-only access, per-sample budgets, exact query reports, determinism, leaks.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf, type Tensor } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import type { Model } from '../engine/model.js';
import { attackBatch } from './harness.js';
import { boundary } from './boundary.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { linearProblem, minimalLinearDistance, multinomialLinearModel } from '../../test/helpers/linear-models.js';

describe('boundary', () => {
  const bounds: [number, number] = [-10, 10];
  const problem = linearProblem(createRandom(11), 3, 10, 5);
  let model: ReturnType<typeof multinomialLinearModel>;
  let x: Tensor;
  const threat = { norm: 'l2' as const, epsilon: 1000, bounds };

  beforeAll(async () => {
    await setupBackend();
    model = multinomialLinearModel(problem.weights, problem.bias, { bounds });
    x = tf.tensor(problem.x, [problem.n, problem.d]);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  const run = async (options: Record<string, unknown>, m: Model = model, seed = 1) => {
    const r = await attackBatch({ model: m, attack: 'boundary', options, x, labels: problem.labels, threat, seed });
    const values = Array.from((await r.xAdv.data()) as Float32Array);
    r.xAdv.dispose();
    return { ...r, values };
  };

  it('succeeds, and more steps give smaller distances approaching the boundary', async () => {
    const short = await run({ steps: 20 });
    const long = await run({ steps: 600 });
    expect(Array.from(short.success)).toEqual(new Array(problem.n).fill(1));
    expect(Array.from(long.success)).toEqual(new Array(problem.n).fill(1));
    for (let i = 0; i < problem.n; i++) {
      const minimal = minimalLinearDistance(problem.weights, problem.bias, problem.x.subarray(i * problem.d, (i + 1) * problem.d), problem.labels[i], 'l2').distance;
      expect(long.distance[i]).toBeLessThan(short.distance[i]);
      expect(long.distance[i]).toBeGreaterThanOrEqual(minimal * (1 - 1e-4));
      expect(long.distance[i]).toBeLessThanOrEqual(minimal * 1.6);
    }
    const sum = (v: Float64Array) => v.reduce((a, b) => a + b, 0);
    expect(sum(long.distance)).toBeLessThan(0.8 * sum(short.distance));
  });

  it('sees only labels, reports exact per-sample queries within the budget, and is deterministic and leak-free', async () => {
    const hidden: Model = {
      ...model,
      logits: async (input) => {
        const logits = await model.logits(input);
        const out = tf.tidy(() => tf.mul(tf.oneHot(tf.argMax(logits, 1), model.numClasses), 7) as tf.Tensor2D);
        logits.dispose();
        return out;
      },
      dispose: () => undefined,
    };
    const a = await expectNoLeaks(() => run({ steps: 100, queries: 120 }));
    const b = await run({ steps: 100, queries: 120 }, hidden);
    expect(b.values).toEqual(a.values);
    expect(a.queries.forward).toBeLessThanOrEqual(problem.n * 120);
    expect(a.queries.forward).toBeGreaterThan(problem.n * 100);
  });

  it('validates its options', () => {
    expect(boundary.requires).toBe('decisions');
    expect(() => boundary.options.parse({ sourceStep: 1 })).toThrow();
    expect(() => boundary.options.parse({ steps: 0 })).toThrow();
  });
});
