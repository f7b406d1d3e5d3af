import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { TfjsModel } from '../engine/tfjs-model.js';
import { createRandom } from '../engine/random.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { smallMlp, smallCnn as smallCnnWith } from '../../test/helpers/small-layers-models.js';

const smallCnn = (seed: number) => smallCnnWith(seed, { dropout: true });
import { boundGraphFromModel, toGraphInput } from './bounds/graph.js';
import { ibpMarginBounds } from './ibp.js';
import { crownMarginBounds } from './crown.js';
import { certifiedLoss, certifiedMarginBounds } from './training-bounds.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});



function batch(shape: number[], n: number, seed: number): tf.Tensor {
  const r = createRandom(seed);
  const size = n * shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => r.next()), [n, ...shape]);
}

describe('certified training bounds (IBP, CROWN-IBP) on LayersModels', () => {
  for (const [name, build, shape, k] of [['cnn', smallCnn, [8, 8, 1], 4], ['mlp', smallMlp, [4, 4, 1], 3]] as const) {
    it(`${name}: the IBP training bound equals the graph IBP bound of the ONNX export, CROWN-IBP equals graph CROWN with IBP intermediates`, async () => {
      const model = build(3);
      const x = batch([...shape], 5, 11);
      const labels = Int32Array.from([0, 1, 2, 0, 1].map((v) => v % k));
      const y = tf.tensor1d(labels, 'int32');
      const { graph, layout } = boundGraphFromModel(TfjsModel.fromLayersModel(model));
      const gx = toGraphInput(x, graph, layout);
      const ball = { center: gx, norm: 'linf' as const, epsilon: 0.05, bounds: [0, 1] as const };
      for (const [method, reference] of [
        ['ibp', () => ibpMarginBounds(graph, ball, y, k)],
        ['crown-ibp', () => crownMarginBounds(graph, ball, y, k, { intermediate: 'ibp', intersectIbp: false })],
      ] as const) {
        const train = certifiedMarginBounds(model, x, labels, { epsilon: 0.05, method });
        const ref = reference();
        expect(train.shape).toEqual([5, k]);
        const a = await train.data();
        const b = await ref.data();
        for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
        tf.dispose([train, ref]);
      }
      graph.dispose();
      tf.dispose([x, y, gx]);
      model.dispose();
    });

    it(`${name}: gradients of the certified loss w.r.t. every weight are finite and not all zero; no leaks`, async () => {
      const model = build(5);
      const x = batch([...shape], 4, 7);
      const labels = Int32Array.from([0, 1, 2, 1].map((v) => v % k));
      await expectNoLeaks(async () => {
        for (const [method, beta] of [['ibp', 1], ['crown-ibp', 1], ['crown-ibp', 0.5]] as const) {
          const { value, grads } = tf.variableGrads(() => certifiedLoss(model, x, labels, { epsilon: 0.1, method, beta }));
          const v = (await value.data())[0]!;
          expect(Number.isFinite(v)).toBe(true);
          let nonZero = 0;
          expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
          for (const g of Object.values(grads)) {
            const d = await g.data();
            for (const e of d) {
              expect(Number.isFinite(e)).toBe(true);
              if (e !== 0) nonZero++;
            }
          }
          expect(nonZero).toBeGreaterThan(0);
          tf.dispose([value, ...Object.values(grads)]);
        }
      });
      x.dispose();
      model.dispose();
    });
  }

  it('a few optimizer steps on the certified loss raise the certified margins (the gradient points the right way)', async () => {
    const model = smallMlp(9);
    const x = batch([4, 4, 1], 16, 3);
    const labels = Int32Array.from({ length: 16 }, (_, i) => i % 3);
    const opts = { epsilon: 0.05, method: 'crown-ibp' as const };
    const before = certifiedLoss(model, x, labels, opts);
    const optimizer = tf.train.adam(0.01);
    for (let i = 0; i < 30; i++) optimizer.minimize(() => certifiedLoss(model, x, labels, opts));
    const after = certifiedLoss(model, x, labels, opts);
    expect((await after.data())[0]).toBeLessThan((await before.data())[0]!);
    tf.dispose([before, after, x]);
    optimizer.dispose();
    model.dispose();
  });
});
