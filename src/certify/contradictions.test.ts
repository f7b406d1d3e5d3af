/**
 * Zero contradictions on the reference models: no sample is both certified at ε (IBP, CROWN) and broken by PGD
 * at the same ε (the attack harness re-verifies every adversarial example with an independent forward pass).
 * Also: the bound graph's own forward pass agrees with the model's logits (so certificates are about this model).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { loadModel } from '../engine/load.js';
import { openDataset } from '../data/open.js';
import { loadAll, type LoadedData } from '../data/load-all.js';
import { attackBatch } from '../attacks/harness.js';
import { certifiedAccuracy } from './certified-accuracy.js';
import { boundGraphFromModel, toGraphInput } from './bounds/graph.js';
import { forwardBounds, disposeIntervals } from './bounds/propagate.js';

beforeAll(async () => {
  await setupBackend(); // wasm: CROWN on the reference models is too slow on the cpu backend
});

function slice(data: LoadedData, count: number): LoadedData {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  return { x: data.x.slice(0, count * size), y: data.y.slice(0, count), count, sampleShape: data.sampleShape };
}

describe('certified and attacked never disagree on the reference models', () => {
  for (const [spec, count, epsilons, methods] of [
    ['builtin:mnist-mlp', 32, [0.01, 0.02, 0.05], ['ibp', 'crown'] as const],
    ['builtin:mnist-cnn', 8, [0.005, 0.03], ['ibp', 'crown'] as const],
  ] as const) {
    it(`${spec}: ${count} test digits, ε ∈ {${epsilons.join(', ')}}`, async () => {
      const model = await loadModel(spec);
      const data = slice(await loadAll(await openDataset('mnist:test', { limit: count })), count);
      const report = await certifiedAccuracy(model, data, { methods: [...methods], epsilons: [...epsilons], batchSize: 16 });
      const x = tf.tensor(data.x, [count, ...data.sampleShape]);
      let certifiedTotal = 0;
      let brokenTotal = 0;
      for (const [e, epsilon] of epsilons.entries()) {
        const attack = await attackBatch({ model, attack: 'pgd', options: { steps: 40, restarts: 1 }, x, labels: data.y, threat: { norm: 'linf', epsilon }, seed: 1 });
        attack.xAdv.dispose();
        for (const m of methods) {
          const certified = report.perSample.certified[m]![e]!;
          for (let i = 0; i < count; i++) {
            expect(certified[i] === 1 && attack.success[i] === 1, `${spec} sample ${i} certified by ${m} and broken by PGD at ε = ${epsilon}`).toBe(false);
            certifiedTotal += certified[i]!;
          }
        }
        brokenTotal += attack.success.reduce((a, b) => a + b, 0);
      }
      // Both sides must be non-trivial for the check to mean something.
      expect(certifiedTotal).toBeGreaterThan(0);
      expect(brokenTotal).toBeGreaterThan(0);
      // The bound graph computes the model: at ε = 0 its interval collapses onto the model's logits.
      const { graph, layout } = boundGraphFromModel(model);
      const center = toGraphInput(x, graph, layout);
      const intervals = forwardBounds(graph, { center, norm: 'linf', epsilon: 0, bounds: [0, 1] }, { intermediate: 'ibp', safety: 0 });
      const logits = await model.logits(x);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(intervals.get(graph.outputName)!.lower, logits))));
      expect((await diff.data())[0]).toBeLessThan(1e-3);
      tf.dispose([diff, logits, center, x]);
      disposeIntervals(intervals);
      graph.dispose();
      model.dispose();
    });
  }
});
