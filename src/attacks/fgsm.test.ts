import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { threatModel } from '../threat/threat-model.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { binaryLinearModel, linearProblem, multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { fgsm, fgsmOptions } from './fgsm.js';
import { attackBatch } from './harness.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

const w = [0.5, -2, 1.5, -0.25, 3, -1];
const x0 = [0.4, 0.5, 0.6, 0.45, 0.55, 0.5];

describe('fgsm', () => {
  it('on a binary linear model: x + ε·sign(w) (label 0) and x − ε·sign(w) (label 1), exactly', async () => {
    const model = binaryLinearModel(w, 0.1, { bounds: [0, 1] });
    const x = tf.tensor2d([x0, x0]);
    const epsilon = 0.05;
    const adv = await fgsm.run(
      { x, labels: Int32Array.from([0, 1]), threat: threatModel({ norm: 'linf', epsilon }) },
      { model, random: createRandom(0) },
      fgsmOptions.parse({}),
    );
    const values = adv.dataSync();
    // float32 arithmetic, as the tensors compute it: fround(fround(x) ± fround(ε))
    const f = Math.fround;
    const expected = [...x0.map((v, i) => f(f(v) + f(epsilon * Math.sign(w[i])))), ...x0.map((v, i) => f(f(v) + f(-epsilon * Math.sign(w[i]))))];
    expect(Array.from(values)).toEqual(expected);
    tf.dispose([x, adv]);
    model.dispose();
  });

  it('L2 (FGM): x + ε·w/‖w‖₂; targeted: the same step towards the target class', async () => {
    const model = binaryLinearModel(w, 0.1, { bounds: [0, 1] });
    const x = tf.tensor2d([x0]);
    const epsilon = 0.1;
    const norm = Math.hypot(...w);
    for (const targets of [undefined, Int32Array.from([1])]) {
      const adv = await fgsm.run(
        { x, labels: Int32Array.from([0]), targets, threat: threatModel({ norm: 'l2', epsilon, goal: targets ? { kind: 'targeted', targets: 'given' } : undefined }) },
        { model, random: createRandom(0) },
        fgsmOptions.parse({}),
      );
      adv.dataSync().forEach((v, i) => expect(v).toBeCloseTo(x0[i] + (epsilon * w[i]) / norm, 6));
      adv.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('through the harness: the step lands on the sphere of radius ε and success is re-verified', async () => {
    const problem = linearProblem(createRandom(2), 3, 8, 12);
    const model = multinomialLinearModel(problem.weights, problem.bias);
    const x = tf.tensor2d(problem.x, [problem.n, problem.d]);
    const result = await attackBatch({ model, attack: 'fgsm', x, labels: problem.labels, threat: { norm: 'linf', epsilon: 0.2, bounds: [-10, 10] } });
    for (const d of result.distance) expect(d).toBeCloseTo(0.2, 6);
    expect(result.queries).toEqual({ forward: 0, gradient: 12 });
    const predicted = tf.tidy(() => tf.argMax(model.logitsSync(result.xAdv), 1).dataSync());
    result.success.forEach((s, i) => expect(s).toBe(Number(predicted[i] !== problem.labels[i])));
    tf.dispose([x, result.xAdv]);
    model.dispose();
  });

  it('does not leak tensors', async () => {
    const model = binaryLinearModel(w, 0.1, { bounds: [0, 1] });
    const x = tf.tensor2d([x0, x0]);
    await expectNoLeaks(async () => {
      for (const norm of ['linf', 'l2'] as const) {
        const r = await attackBatch({ model, attack: 'fgsm', x, labels: Int32Array.from([0, 1]), threat: { norm, epsilon: 0.1 } });
        r.xAdv.dispose();
      }
    });
    x.dispose();
    model.dispose();
  });
});
