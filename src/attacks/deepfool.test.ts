import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { isDifferentiable, type DifferentiableModel } from '../engine/model.js';
import { loadModel, builtinModelsDir } from '../engine/load.js';
import { openDataset } from '../data/open.js';
import { loadAll } from '../data/load-all.js';
import { RampartError } from '../errors.js';
import { threatModel, type Norm } from '../threat/threat-model.js';
import { distances } from '../threat/norms.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { linearProblem, minimalLinearDistance, multinomialLinearModel, linearLogits } from '../../test/helpers/linear-models.js';
import { deepfool, deepfoolOptions } from './deepfool.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

async function runDeepfool(model: DifferentiableModel, x: tf.Tensor, labels: Int32Array, norm: Norm, options: Record<string, unknown> = {}, targets?: Int32Array): Promise<tf.Tensor> {
  const threat = threatModel({ norm, epsilon: 1, bounds: [model.bounds[0], model.bounds[1]] });
  return deepfool.run({ x, labels, targets, threat }, { model, random: createRandom(0) }, deepfoolOptions.parse(options));
}

describe('deepfool on linear models (closed-form minimal distance)', () => {
  for (const [k, norm] of [
    [2, 'l2'],
    [2, 'linf'],
    [5, 'l2'],
    [5, 'linf'],
  ] as const) {
    it(`${k === 2 ? 'binary logistic' : 'multinomial'} ${norm}: distance within 1% of |z_y − z_j|/‖w_y − w_j‖_dual, misclassified`, async () => {
      const problem = linearProblem(createRandom(10 + k), k, 20, 16);
      const model = multinomialLinearModel(problem.weights, problem.bias, { bounds: [-10, 10] });
      const x = tf.tensor2d(problem.x, [problem.n, problem.d]);
      const adv = await runDeepfool(model, x, problem.labels, norm, { overshoot: 0.005 });
      const found = distances(adv, x, norm);
      const advValues = adv.dataSync();
      for (let i = 0; i < problem.n; i++) {
        const sample = problem.x.subarray(i * problem.d, (i + 1) * problem.d);
        const { distance } = minimalLinearDistance(problem.weights, problem.bias, sample, problem.labels[i], norm);
        expect(found[i] / distance, `sample ${i}: ${found[i]} vs ${distance}`).toBeGreaterThanOrEqual(0.999);
        expect(found[i] / distance, `sample ${i}: ${found[i]} vs ${distance}`).toBeLessThanOrEqual(1.01);
        // independent check of misclassification: the closed-form logits of the returned point
        const z = linearLogits(problem.weights, problem.bias, advValues.subarray(i * problem.d, (i + 1) * problem.d));
        expect(z.indexOf(Math.max(...z))).not.toBe(problem.labels[i]);
      }
      // and a forward pass through the model agrees
      const logits = model.logitsSync(adv);
      const predicted = tf.argMax(logits, 1).dataSync();
      for (let i = 0; i < problem.n; i++) expect(predicted[i]).not.toBe(problem.labels[i]);
      tf.dispose([x, adv, logits]);
      model.dispose();
    });
  }

  it('the default overshoot of 0.02 scales the closed-form step by 1.02', async () => {
    const problem = linearProblem(createRandom(3), 2, 10, 8);
    const model = multinomialLinearModel(problem.weights, problem.bias, { bounds: [-10, 10] });
    const x = tf.tensor2d(problem.x, [problem.n, problem.d]);
    const adv = await runDeepfool(model, x, problem.labels, 'l2');
    const found = distances(adv, x, 'l2');
    for (let i = 0; i < problem.n; i++) {
      const { distance } = minimalLinearDistance(problem.weights, problem.bias, problem.x.subarray(i * problem.d, (i + 1) * problem.d), problem.labels[i], 'l2');
      expect(found[i] / distance).toBeGreaterThan(1.019);
      expect(found[i] / distance).toBeLessThan(1.03);
    }
    tf.dispose([x, adv]);
    model.dispose();
  });

  it('leaves misclassified samples unchanged, respects the bounds, and limits the candidate classes', async () => {
    const problem = linearProblem(createRandom(4), 6, 12, 10);
    const model = multinomialLinearModel(problem.weights, problem.bias, { bounds: [-1, 1] });
    const x = tf.tensor2d(problem.x, [problem.n, problem.d]);
    const wrong = Int32Array.from(problem.labels, (y) => (y + 1) % 6);
    const unchanged = await runDeepfool(model, x, wrong, 'l2');
    expect(Array.from(unchanged.dataSync())).toEqual(Array.from(problem.x));
    const adv = await runDeepfool(model, x, problem.labels, 'linf', { candidates: 2 });
    const values = adv.dataSync();
    for (const v of values) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    tf.dispose([x, unchanged, adv]);
    model.dispose();
  });

  it('leaks no tensors and is deterministic', async () => {
    const problem = linearProblem(createRandom(5), 4, 8, 6);
    const model = multinomialLinearModel(problem.weights, problem.bias, { inputShape: [2, 4, 1] });
    const x = tf.tensor4d(problem.x, [problem.n, 2, 4, 1]);
    const first = await expectNoLeaks(async () => {
      const adv = await runDeepfool(model, x, problem.labels, 'l2');
      const values = adv.dataSync().slice();
      adv.dispose();
      return values;
    });
    const second = await expectNoLeaks(async () => {
      const adv = await runDeepfool(model, x, problem.labels, 'linf');
      adv.dispose();
      const again = await runDeepfool(model, x, problem.labels, 'l2');
      const values = again.dataSync().slice();
      again.dispose();
      return values;
    });
    expect(Array.from(second)).toEqual(Array.from(first));
    x.dispose();
    model.dispose();
  });

  it('rejects targeted goals and unsupported norms with RampartError', async () => {
    const problem = linearProblem(createRandom(6), 3, 4, 2);
    const model = multinomialLinearModel(problem.weights, problem.bias);
    const x = tf.tensor2d(problem.x, [2, 4]);
    await expect(runDeepfool(model, x, problem.labels, 'l2', {}, Int32Array.from([0, 1]))).rejects.toBeInstanceOf(RampartError);
    await expect(runDeepfool(model, x, problem.labels, 'l1')).rejects.toThrow(/norm "l1"/);
    expect(() => deepfoolOptions.parse({ overshoot: -1 })).toThrow();
    x.dispose();
    model.dispose();
  });
});

const mnistCnn = path.join(builtinModelsDir(), 'mnist-cnn', 'model.json');

describe.skipIf(!fs.existsSync(mnistCnn))('deepfool on builtin:mnist-cnn (smoke)', () => {
  beforeAll(async () => {
    await setupBackend({ backend: 'wasm' });
  });

  it('fools ≥ 95% of 20 correctly classified test digits with a plausible median L2', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    if (!isDifferentiable(model)) throw new Error('builtin:mnist-cnn should be white-box');
    const data = await loadAll(await openDataset('mnist:test', { limit: 40 }));
    const x = tf.tensor4d(data.x, [data.count, 28, 28, 1]);
    const logits = model.logitsSync(x);
    const predicted = tf.argMax(logits, 1).dataSync();
    const correct = Array.from({ length: data.count }, (_, i) => i).filter((i) => predicted[i] === data.y[i]).slice(0, 20);
    const xs = tf.gather(x, correct);
    const labels = Int32Array.from(correct, (i) => data.y[i]);
    for (const norm of ['l2', 'linf'] as const) {
      const adv = await runDeepfool(model, xs, labels, norm);
      const advPredicted = tf.tidy(() => tf.argMax(model.logitsSync(adv), 1).dataSync());
      const fooled = correct.filter((_, j) => advPredicted[j] !== labels[j]).length;
      const found = Array.from(distances(adv, xs, norm)).sort((a, b) => a - b);
      const median = found[Math.floor(found.length / 2)];
      console.log(`deepfool ${norm} on mnist-cnn: fooled ${fooled}/${correct.length}, median ${norm} ${median.toFixed(3)}`);
      expect(fooled / correct.length).toBeGreaterThanOrEqual(0.95);
      if (norm === 'l2') {
        expect(median).toBeGreaterThan(0.3);
        expect(median).toBeLessThan(4);
      }
      adv.dispose();
    }
    tf.dispose([x, logits, xs]);
    model.dispose();
  }, 600_000);
});
