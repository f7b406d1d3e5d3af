import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { normOps, projectRowsL1, keepTopRows, projectToThreat, distances } from './norms.js';
import { norms, threatModel } from './threat-model.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

const batch = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.tuple(fc.constant(n), fc.float32Array({ minLength: n * 12, maxLength: n * 12, noNaN: true, noDefaultInfinity: true, min: -3, max: 3 })),
);

describe('per-norm operations', () => {
  it('distances: hand-computed', () => {
    const delta = tf.tensor2d([
      [3, -4, 0, 0],
      [0, 0, 0.5, 0],
    ]);
    expect(Array.from(normOps.linf.distance(delta).dataSync())).toEqual([4, 0.5]);
    expect(Array.from(normOps.l2.distance(delta).dataSync())).toEqual([5, 0.5]);
    expect(Array.from(normOps.l1.distance(delta).dataSync())).toEqual([7, 0.5]);
    expect(Array.from(normOps.l0.distance(delta).dataSync())).toEqual([2, 1]);
  });

  for (const norm of norms) {
    it(`${norm}: projection lands in the ball and leaves points inside it unchanged`, () => {
      fc.assert(
        fc.property(batch, fc.double({ min: 0.01, max: 5, noNaN: true }), ([n, values], rawEpsilon) => {
          const epsilon = norm === 'l0' ? Math.max(1, Math.round(rawEpsilon)) : rawEpsilon;
          tf.tidy(() => {
            const delta = tf.tensor(values, [n, 3, 4]);
            const projected = normOps[norm].project(delta, epsilon);
            const after = normOps[norm].distance(projected).dataSync();
            const before = normOps[norm].distance(delta).dataSync();
            for (let i = 0; i < n; i++) {
              expect(after[i]).toBeLessThanOrEqual(epsilon * (1 + 1e-5) + 1e-6);
              if (before[i] <= epsilon * (1 - 1e-6)) {
                const same = tf.max(tf.abs(tf.sub(projected, delta))).dataSync()[0];
                if (n === 1) expect(same).toBeLessThan(1e-5);
              }
            }
          });
        }),
        { numRuns: 60, seed: 11 },
      );
    });

    it(`${norm}: random starts lie in the ball and are seeded`, () => {
      const epsilon = norm === 'l0' ? 5 : 0.3;
      tf.tidy(() => {
        const a = normOps[norm].randomStart([8, 6, 6, 1], epsilon, createRandom(4));
        const b = normOps[norm].randomStart([8, 6, 6, 1], epsilon, createRandom(4));
        expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
        const d = normOps[norm].distance(a).dataSync();
        for (const v of d) expect(v).toBeLessThanOrEqual(epsilon + 1e-6);
        expect(Math.max(...d)).toBeGreaterThan(0);
      });
    });
  }

  it('steepest steps have the requested size', () => {
    tf.tidy(() => {
      const g = tf.tensor(Float32Array.from({ length: 2 * 100 }, (_, i) => Math.sin(i * 1.7)), [2, 100]);
      expect(Array.from(normOps.linf.distance(normOps.linf.steepest(g, 0.1)).dataSync()).map((v) => +v.toFixed(6))).toEqual([0.1, 0.1]);
      normOps.l2.distance(normOps.l2.steepest(g, 0.5)).dataSync().forEach((v) => expect(v).toBeCloseTo(0.5, 5));
      const l1Step = normOps.l1.steepest(g, 2, { l1Sparsity: 0.9 });
      normOps.l1.distance(l1Step).dataSync().forEach((v) => expect(v).toBeCloseTo(2, 5));
      normOps.l0.distance(l1Step).dataSync().forEach((v) => expect(v).toBe(10));
      // the sparse step moves along the largest-magnitude gradient coordinates, in their direction
      const step = l1Step.dataSync();
      const grad = g.dataSync();
      for (let i = 0; i < 200; i++) if (step[i] !== 0) expect(Math.sign(step[i])).toBe(Math.sign(grad[i]));
    });
    expect(() => normOps.l0.steepest(tf.zeros([1, 2]), 1)).toThrow(/jsma/);
  });

  it('L1 projection matches a bisection on the threshold', () => {
    fc.assert(
      fc.property(fc.float32Array({ minLength: 7, maxLength: 7, noNaN: true, noDefaultInfinity: true, min: -4, max: 4 }), fc.double({ min: 0.05, max: 3 }), (row, radius) => {
        const projected = projectRowsL1(row, 1, radius);
        const l1 = row.reduce((s, v) => s + Math.abs(v), 0);
        if (l1 <= radius) {
          expect(Array.from(projected)).toEqual(Array.from(row));
          return;
        }
        let low = 0;
        let high = Math.max(...Array.from(row, Math.abs));
        for (let i = 0; i < 200; i++) {
          const mid = (low + high) / 2;
          const mass = Array.from(row).reduce((s, v) => s + Math.max(Math.abs(v) - mid, 0), 0);
          if (mass > radius) low = mid;
          else high = mid;
        }
        row.forEach((v, i) => expect(projected[i]).toBeCloseTo(Math.sign(v) * Math.max(Math.abs(v) - high, 0), 4));
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('keepTopRows keeps the k largest magnitudes', () => {
    expect(Array.from(keepTopRows(Float32Array.from([0.1, -3, 2, 0.5, -0.2, 1]), 2, 1))).toEqual([0, -3, 0, 0, 0, 1]);
  });

  it('projectToThreat stays in the ball and in bounds, without leaks', async () => {
    await expectNoLeaks(() => {
      for (const norm of ['linf', 'l2', 'l1'] as const) {
        const threat = threatModel({ norm, epsilon: 0.5 });
        tf.tidy(() => {
          const r = createRandom(1);
          const x = tf.tensor(Float32Array.from({ length: 3 * 16 }, () => r.next()), [3, 4, 4, 1]);
          const far = tf.add(x, tf.tensor(Float32Array.from({ length: 48 }, () => 4 * (r.next() - 0.5)), [3, 4, 4, 1]));
          const adv = projectToThreat(far, x, threat);
          expect(tf.min(adv).dataSync()[0]).toBeGreaterThanOrEqual(0);
          expect(tf.max(adv).dataSync()[0]).toBeLessThanOrEqual(1);
          for (const d of distances(adv, x, norm)) expect(d).toBeLessThanOrEqual(0.5 + 1e-6);
        });
      }
    });
  });

  it('threatModel validates and defaults', () => {
    expect(threatModel({ norm: 'l2', epsilon: 1 })).toEqual({ norm: 'l2', epsilon: 1, goal: { kind: 'untargeted' }, bounds: [0, 1] });
    expect(() => threatModel({ norm: 'l3' as 'l2', epsilon: 1 })).toThrow(/norm/);
    expect(() => threatModel({ norm: 'l2', epsilon: -1 })).toThrow(/epsilon/);
    expect(() => threatModel({ norm: 'l2', epsilon: 1, bounds: [1, 0] })).toThrow(/min < max/);
  });
});
