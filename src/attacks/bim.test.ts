import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { linearProblem, minimalLinearDistance, multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { bimOptions } from './bim.js';
import { attackBatch } from './harness.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

describe('bim', () => {
  it('defaults: 10 steps of 1.25·ε/10, no randomness (any seed gives the same examples)', async () => {
    expect(bimOptions.parse({})).toMatchObject({ steps: 10, relStepSize: 0.125 });
    const problem = linearProblem(createRandom(4), 3, 10, 6);
    const model = multinomialLinearModel(problem.weights, problem.bias);
    const x = tf.tensor2d(problem.x, [problem.n, problem.d]);
    const run = async (seed: number) => {
      const r = await attackBatch({ model, attack: 'bim', x, labels: problem.labels, threat: { norm: 'linf', epsilon: 0.1, bounds: [-10, 10] }, seed });
      const values = Array.from(r.xAdv.dataSync());
      r.xAdv.dispose();
      return values;
    };
    expect(await run(1)).toEqual(await run(99));
    tf.dispose(x);
    model.dispose();
  });

  for (const norm of ['linf', 'l2'] as const) {
    it(`binary logistic, ${norm}: succeeds at 1.01× the minimal distance and never at 0.99×`, async () => {
      const problem = linearProblem(createRandom(31), 2, 12, 10);
      const model = multinomialLinearModel(problem.weights, problem.bias);
      await expectNoLeaks(async () => {
        for (const [factor, expected] of [
          [1.01, 1],
          [0.99, 0],
        ] as const) {
          for (let i = 0; i < problem.n; i++) {
            const xi = problem.x.subarray(i * problem.d, (i + 1) * problem.d);
            const { distance } = minimalLinearDistance(problem.weights, problem.bias, xi, problem.labels[i], norm);
            const x = tf.tensor2d(xi, [1, problem.d]);
            const r = await attackBatch({ model, attack: 'bim', x, labels: problem.labels.slice(i, i + 1), threat: { norm, epsilon: factor * distance, bounds: [-10, 10] } });
            expect(r.success[0], `sample ${i} at ${factor}×`).toBe(expected);
            tf.dispose([x, r.xAdv]);
          }
        }
      });
      model.dispose();
    });
  }
});
