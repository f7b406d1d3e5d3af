/** Attacks under feature constraints on the real breast-cancer data (examples/tabular) and on a synthetic one-hot set. */
import fs from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { openDataset, loadAll } from '../data/index.js';
import { trainTabularClassifier } from './tabular-training.js';
import type { TfjsModel } from '../engine/tfjs-model.js';
import { attackRegistry } from '../attacks/builtin.js';
import { attackBatch } from '../attacks/harness.js';
import { constraintViolations, featureConstraints, type FeatureConstraints } from '../threat/feature-constraints.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { withFeatureConstraints } from './constrained-attack.js';

let model: TfjsModel;
let spec: FeatureConstraints;
let test: Awaited<ReturnType<typeof loadAll>>;

beforeAll(async () => {
  await setupBackend();
  const train = await openDataset('csv:examples/tabular/breast-cancer-train.csv');
  test = await loadAll(await openDataset('csv:examples/tabular/breast-cancer-test.csv'));
  ({ model } = await trainTabularClassifier(train, { arch: 'mlp', epochs: 15, batchSize: 32, learningRate: 1e-3, seed: 1, shiftPixels: 0 }));
  spec = featureConstraints(JSON.parse(fs.readFileSync('examples/tabular/constraints.json', 'utf8')));
});
afterAll(() => model?.dispose());

describe('constrained attacks on the breast-cancer example', () => {
  for (const id of ['pgd', 'fgsm', 'apgd-ce']) {
    it(`${id}+constraints: every adversarial example satisfies every constraint; immutable features unchanged`, async () => {
      const attack = withFeatureConstraints(attackRegistry.get(id), spec);
      const x = tf.tensor2d(test.x, [test.count, 30]);
      const clean = test.x;
      try {
        const result = await expectNoLeaks(async () => {
          const out = await attackBatch({ model, attack, options: id === 'apgd-ce' ? { steps: 20 } : {}, x, labels: test.y, threat: { norm: 'linf', epsilon: 0.1 }, seed: 3 });
          const values = (await out.xAdv.data()) as Float32Array;
          out.xAdv.dispose();
          return { ...out, values };
        });
        expect(result.invalid.every((v) => v === 0)).toBe(true);
        expect(constraintViolations(result.values, clean, spec)).toEqual([]);
        for (let i = 0; i < test.count; i++) for (const j of spec.immutable) expect(result.values[i * 30 + j]).toBe(clean[i * 30 + j]);
        // the constrained attacks still break some samples (a test that cannot fail otherwise)
        expect(result.success.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      } finally {
        x.dispose();
      }
    });
  }

  it('is weaker than the unconstrained attack (the constraints bind)', async () => {
    const x = tf.tensor2d(test.x, [test.count, 30]);
    try {
      const free = await attackBatch({ model, attack: 'pgd', x, labels: test.y, threat: { norm: 'linf', epsilon: 0.1 }, seed: 3 });
      const bound = await attackBatch({ model, attack: withFeatureConstraints(attackRegistry.get('pgd'), spec), x, labels: test.y, threat: { norm: 'linf', epsilon: 0.1 }, seed: 3 });
      tf.dispose([free.xAdv, bound.xAdv]);
      const count = (s: Uint8Array) => s.reduce((a, b) => a + b, 0);
      expect(count(bound.success)).toBeLessThanOrEqual(count(free.success));
    } finally {
      x.dispose();
    }
  });
});

describe('constrained attacks with categorical and grid features', () => {
  it('keep one-hot groups one-hot and grid features on their grid', async () => {
    // 5 features: 0 immutable, 1 on a 0.25 grid, 2..4 a one-hot group; linear 2-class model that wants feature 3 on
    const linear = multinomialLinearModel([[0, 0, 0, 0, 0], [1, 2, -1, 3, -1]], [0, -2.5]);
    const constraints = featureConstraints({ features: 5, immutable: [0], grid: [{ feature: 1, step: 0.25 }], categorical: [{ features: [2, 3, 4] }] });
    const random = createRandom(5);
    const rows = new Float32Array(40 * 5);
    for (let i = 0; i < 40; i++) {
      rows[i * 5] = random.next();
      rows[i * 5 + 1] = Math.fround(random.int(5) * 0.25);
      rows[i * 5 + 2 + (random.next() < 0.5 ? 0 : 2)] = 1;
    }
    const x = tf.tensor2d(rows, [40, 5]);
    const logits = linear.logitsSync(x);
    const labels = Int32Array.from(await tf.argMax(logits, 1).data());
    logits.dispose();
    try {
      for (const epsilon of [0.3, 1]) {
        const out = await attackBatch({ model: linear, attack: withFeatureConstraints(attackRegistry.get('pgd'), constraints), x, labels, threat: { norm: 'linf', epsilon }, seed: 1 });
        const values = (await out.xAdv.data()) as Float32Array;
        out.xAdv.dispose();
        expect(constraintViolations(values, rows, constraints)).toEqual([]);
        const switched = Array.from({ length: 40 }, (_, i) => values[i * 5 + 3] !== rows[i * 5 + 3]).filter(Boolean).length;
        if (epsilon < 1) expect(switched).toBe(0);
        else expect(out.success.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
    } finally {
      x.dispose();
      linear.dispose();
    }
    expect(() => withFeatureConstraints(attackRegistry.get('cw-l2'), constraints)).toThrow(/need the linf norm/);
  });
});
