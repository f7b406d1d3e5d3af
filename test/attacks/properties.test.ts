/**
 * Invariants of the harness over random small models, data, norms, attacks, ε lists and seeds (fast-check):
 * every example is inside the ε-ball (+1e-6) and the bounds; robust accuracy ≤ clean accuracy; the worst case is
 * ≤ every single attack; the same seed gives identical metrics.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { tf } from '../../src/engine/tf.js';
import { setupBackend } from '../../src/engine/backend.js';
import { createRandom } from '../../src/engine/random.js';
import { attackBatch, runAttacks, type AttackReport } from '../../src/attacks/harness.js';
import type { Norm } from '../../src/threat/threat-model.js';
import { arrayDataset, selfLabelled, tinyMlp } from './helpers.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

const attacksFor: Record<'linf' | 'l2' | 'l1', { id: string; options: Record<string, unknown> }[]> = {
  linf: [{ id: 'fgsm', options: {} }, { id: 'bim', options: { steps: 4 } }, { id: 'pgd', options: { steps: 4 } }],
  l2: [{ id: 'fgsm', options: {} }, { id: 'pgd', options: { steps: 4, restarts: 2 } }],
  l1: [{ id: 'pgd', options: { steps: 4, l1Sparsity: 0.5 } }],
};

const scenario = fc.record({
  modelSeed: fc.integer({ min: 1, max: 1000 }),
  dataSeed: fc.integer({ min: 1, max: 1000 }),
  n: fc.integer({ min: 3, max: 9 }),
  norm: fc.constantFrom<'linf' | 'l2' | 'l1'>('linf', 'l2', 'l1'),
  epsilons: fc.uniqueArray(fc.double({ min: 0, max: 0.6, noNaN: true }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  batchSize: fc.integer({ min: 2, max: 5 }),
  cascade: fc.boolean(),
});

function distance(a: ArrayLike<number>, b: ArrayLike<number>, norm: Norm): number {
  let l1 = 0;
  let l2 = 0;
  let linf = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    l1 += d;
    l2 += d * d;
    linf = Math.max(linf, d);
  }
  return norm === 'l1' ? l1 : norm === 'l2' ? Math.sqrt(l2) : linf;
}

/** The report without wall-clock fields. */
function metricsOnly(report: AttackReport): unknown {
  return JSON.parse(JSON.stringify({ ...report, seconds: 0, attacks: report.attacks.map((a) => ({ ...a, seconds: 0, results: a.results.map((r) => ({ ...r, seconds: 0 })) })) }));
}

describe('harness invariants (fast-check)', () => {
  it('examples in the ε-ball and bounds; robust ≤ clean; worst case ≤ each attack; same seed → same metrics', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const d = 6;
        const model = tinyMlp(d, 3, s.modelSeed);
        try {
          const { x, y } = await selfLabelled(model, s.n, createRandom(s.dataSeed));
          // a few labels flipped so some samples start misclassified
          y[0] = (y[0] + 1) % 3;
          const data = arrayDataset(x, y, [d], 3);
          const attacks = attacksFor[s.norm];
          const request = { model, data, attacks, norm: s.norm, epsilons: s.epsilons, seed: s.seed, batchSize: s.batchSize, cascade: s.cascade, keepAdversarial: true };
          const report = await runAttacks(request);
          const largest = Math.max(...s.epsilons);
          const adv = report.adversarial!;
          for (let i = 0; i < s.n; i++) {
            const row = adv.x.subarray(i * d, (i + 1) * d);
            expect(distance(row, x.subarray(i * d, (i + 1) * d), s.norm)).toBeLessThanOrEqual(largest + 1e-6 * Math.max(1, largest));
            for (const v of row) {
              expect(v).toBeGreaterThanOrEqual(0);
              expect(v).toBeLessThanOrEqual(1);
            }
          }
          for (const attack of report.attacks) {
            attack.results.forEach((r, e) => {
              expect(r.robustAccuracy).toBeLessThanOrEqual(report.clean.accuracy);
              expect(r.invalid).toBe(0);
              expect(report.worstCase[e].robustAccuracy).toBeLessThanOrEqual(r.robustAccuracy);
              expect(r.attacked).toBeLessThanOrEqual(report.clean.correct);
            });
          }
          for (const w of report.worstCase) expect(w.robustAccuracy).toBeLessThanOrEqual(report.clean.accuracy);
          const again = await runAttacks(request);
          expect(metricsOnly(again)).toEqual(metricsOnly(report));
        } finally {
          model.dispose();
        }
      }),
      { numRuns: 15, seed: 42 },
    );
  });

  it('attackBatch: every returned example lies in the ε-ball (+1e-6) and in the bounds', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.integer({ min: 0, max: 10 }), async (s, pick) => {
        const d = 6;
        const model = tinyMlp(d, 3, s.modelSeed);
        const { x, y } = await selfLabelled(model, s.n, createRandom(s.dataSeed));
        const attacks = attacksFor[s.norm];
        const attack = attacks[pick % attacks.length];
        const epsilon = s.epsilons[0];
        const xt = tf.tensor2d(x, [s.n, d]);
        const result = await attackBatch({ model, attack: attack.id, options: attack.options, x: xt, labels: y, threat: { norm: s.norm, epsilon }, seed: s.seed });
        const values = result.xAdv.dataSync();
        for (let i = 0; i < s.n; i++) {
          expect(distance(values.subarray(i * d, (i + 1) * d), x.subarray(i * d, (i + 1) * d), s.norm)).toBeLessThanOrEqual(epsilon + 1e-6);
        }
        expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...values)).toBeLessThanOrEqual(1);
        tf.dispose([xt, result.xAdv]);
        model.dispose();
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
