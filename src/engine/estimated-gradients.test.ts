/**
 * NES / SPSA gradient estimates: cosine similarity ≥ 0.8 with the true input gradient of a small linear model
 * (cross-entropy and margin losses), exact query counts (2·⌈samples/2⌉ + 1 forward rows per sample), seeded
 * determinism, clear errors for sync calls and bad options, PGD end to end on the estimated gradients, no leaks.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { tf, type Tensor1D } from './tf.js';
import { setupBackend } from './backend.js';
import { createRandom } from './random.js';
import { withEstimatedGradients } from './estimated-gradients.js';
import { scoresOnly } from './query-model.js';
import type { Model } from './model.js';
import { attackBatch, countingModel } from '../attacks/harness.js';
import { linearProblem, multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { RampartError } from '../errors.js';

function cosine(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = from; i < to; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('withEstimatedGradients', () => {
  beforeAll(async () => {
    await setupBackend();
  });
  const problem = linearProblem(createRandom(3), 4, 20, 5);
  const d = problem.d;

  for (const method of ['nes', 'spsa'] as const) {
    for (const loss of ['cross-entropy', 'cw-margin'] as const) {
      it(`${method} / ${loss}: cosine ≥ 0.8 with the true gradient; exact query count; no leaks`, async () => {
        const white = multinomialLinearModel(problem.weights, problem.bias);
        let rows = 0;
        const counting: Model = { ...scoresOnly(white), logits: (x) => ((rows += x.shape[0]), white.logits(x)) };
        const estimated = withEstimatedGradients(counting, { method, samples: 400, sigma: 0.01, seed: 1 });
        const x = tf.tensor2d(problem.x, [problem.n, d]);
        const labels = tf.tensor1d(problem.labels, 'int32') as Tensor1D;
        await expectNoLeaks(async () => {
          const truth = await white.lossAndGradient(x, labels, loss);
          const guess = await estimated.lossAndGradient(x, labels, loss);
          const t = (await truth.gradient.data()) as Float32Array;
          const g = (await guess.gradient.data()) as Float32Array;
          for (let i = 0; i < problem.n; i++) expect(cosine(t, g, i * d, (i + 1) * d)).toBeGreaterThanOrEqual(0.8);
          expect(Array.from(await guess.loss.data())).toEqual(Array.from(await truth.loss.data()).map((v) => expect.closeTo(v, 4)));
          tf.dispose([truth.loss, truth.gradient, truth.logits, guess.loss, guess.gradient, guess.logits]);
        });
        expect(rows).toBe(problem.n * 401);
        tf.dispose([x, labels]);
        white.dispose();
      });
    }
  }

  it('is deterministic for a seed, and rejects sync calls and bad options with RampartError', async () => {
    const white = multinomialLinearModel(problem.weights, problem.bias);
    const x = tf.tensor2d(problem.x, [problem.n, d]);
    const labels = tf.tensor1d(problem.labels, 'int32') as Tensor1D;
    const grad = async (seed: number) => {
      const r = await withEstimatedGradients(scoresOnly(white), { method: 'spsa', samples: 10, seed }).lossAndGradient(x, labels);
      const g = Array.from(await r.gradient.data());
      tf.dispose([r.loss, r.gradient, r.logits]);
      return g;
    };
    expect(await grad(7)).toEqual(await grad(7));
    expect(await grad(7)).not.toEqual(await grad(8));
    const estimated = withEstimatedGradients(scoresOnly(white));
    expect(() => estimated.lossAndGradientSync(x, labels)).toThrow(RampartError);
    expect(() => estimated.logitsSync(x)).toThrow(/async/);
    expect(() => withEstimatedGradients(white, { samples: 1, sigma: -1 })).toThrow(/samples must be an integer ≥ 2.*sigma must be/);
    tf.dispose([x, labels]);
    white.dispose();
  });

  it('lets a white-box attack (PGD) run on a score-only model', async () => {
    const white = multinomialLinearModel(problem.weights, problem.bias, { bounds: [-10, 10] });
    const estimated = withEstimatedGradients(scoresOnly(white), { method: 'nes', samples: 50, sigma: 0.01, seed: 2 });
    const x = tf.tensor2d(problem.x, [problem.n, d]);
    const result = await expectNoLeaks(async () => {
      const r = await attackBatch({ model: estimated, attack: 'pgd', options: { steps: 10 }, x, labels: problem.labels, threat: { norm: 'linf', epsilon: 2, bounds: [-10, 10] }, seed: 1 });
      r.xAdv.dispose();
      return r;
    });
    expect(Array.from(result.success)).toEqual(new Array(problem.n).fill(1));
    expect(result.queries.gradient).toBeGreaterThan(0);
    x.dispose();
    white.dispose();
  });

  it('the harness counts the forward queries behind each estimate exactly', async () => {
    const white = multinomialLinearModel(problem.weights, problem.bias, { bounds: [-10, 10] });
    let answered = 0;
    const blackBox: Model = { ...scoresOnly(white), logits: (x) => ((answered += x.shape[0]), white.logits(x)) };
    const estimated = withEstimatedGradients(blackBox, { method: 'spsa', samples: 7, sigma: 0.01, seed: 4, maxBatch: 6 });
    expect(estimated.forwardQueriesPerGradient).toBe(9); // 4 antithetic pairs + the pass at x
    const { model, counts } = countingModel(estimated, 'gradients');
    const x = tf.tensor2d(problem.x, [problem.n, d]);
    const labels = tf.tensor1d(problem.labels, 'int32');
    const result = await (model as typeof estimated).lossAndGradient(x, labels);
    tf.dispose([result.loss, result.gradient, result.logits, x, labels]);
    expect(counts).toEqual({ forward: answered, gradient: problem.n });
    white.dispose();
  });
});
