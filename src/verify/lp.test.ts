import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lpMinimise, lpTightenBounds } from './lp.js';
import { forwardRelu, intervalBounds } from './interval.js';
import { dualObjectiveBound, LinearModel, loadHighs, solveOnce, toCplexLp } from './highs.js';
import { randomBox, randomNetwork, samplePoints } from '../../test/helpers/relu-networks.js';
import type { ReluNetwork } from './problem.js';

/** Pre-activations of every layer at a point (the quantities the bounds must contain). */
function preActivations(network: ReluNetwork, input: Float64Array): Float64Array[] {
  const result: Float64Array[] = [];
  let a = input;
  network.layers.forEach((layer, l) => {
    const z = new Float64Array(layer.outSize);
    for (let r = 0; r < layer.outSize; r++) {
      let s = layer.bias[r];
      for (let c = 0; c < layer.inSize; c++) s += layer.weights[r * layer.inSize + c] * a[c];
      z[r] = s;
    }
    result.push(z);
    a = l < network.layers.length - 1 ? z.map((v) => Math.max(v, 0)) : z;
  });
  return result;
}

describe('HiGHS wrapper', () => {
  it('writes CPLEX LP text HiGHS reads back, and solves a hand-computed LP and MILP', async () => {
    const highs = await loadHighs();
    const model = new LinearModel();
    const x = model.addVariable(-1, 2);
    const y = model.addVariable(-Infinity, Infinity);
    const b = model.addVariable(0, 1, true);
    // x + y ≥ 1, y − 0.5·b ≤ 0.25, min x + 3y − b
    model.addConstraint([{ variable: x, coefficient: 1 }, { variable: y, coefficient: 1 }], 1, Infinity);
    model.addConstraint([{ variable: y, coefficient: 1 }, { variable: b, coefficient: -0.5 }], -Infinity, 0.25);
    model.setObjective([{ variable: x, coefficient: 1 }, { variable: y, coefficient: 3 }, { variable: b, coefficient: -1 }], 'minimize');
    expect(toCplexLp(model)).toContain('Generals');
    // x + 3y − b with x = 1 − y: 1 + 2y − b, minimised at y = −1 (x = 2), b = 1: −2.
    const result = solveOnce(highs, model, { timeLimitSeconds: 5 });
    expect(result.status).toBe('optimal');
    expect(result.objective).toBeCloseTo(-2, 9);
    expect(Array.from(result.values!)).toEqual([2, -1, 1]);
    model.addConstraint([{ variable: x, coefficient: 1 }], 3, Infinity);
    expect(solveOnce(highs, model, { timeLimitSeconds: 5 }).status).toBe('infeasible');
  });

  it('weak-duality bounds never exceed the LP optimum, whatever the multipliers', async () => {
    const model = new LinearModel();
    const x = model.addVariable(0, 1);
    const y = model.addVariable(0, 1);
    model.addConstraint([{ variable: x, coefficient: 1 }, { variable: y, coefficient: 1 }], 1, Infinity);
    const objective = [{ variable: x, coefficient: 1 }, { variable: y, coefficient: 2 }];
    // min x + 2y s.t. x + y ≥ 1 is 1; λ = 1 is the optimal dual and gives exactly 1, others less.
    expect(dualObjectiveBound(model, objective, Float64Array.of(1))).toBeCloseTo(1, 11);
    expect(dualObjectiveBound(model, objective, Float64Array.of(1))).toBeLessThanOrEqual(1);
    fc.assert(fc.property(fc.double({ min: -10, max: 10, noNaN: true }), (lambda) => dualObjectiveBound(model, objective, Float64Array.of(lambda)) <= 1), { seed: 5 });
  });
});

describe('lpTightenBounds / lpMinimise', () => {
  it('are sound (contain sampled pre-activations) and never looser than interval bounds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 3, max: 8 }), fc.integer({ min: 3, max: 8 }), async (seed, inputs, h1, h2) => {
        const network = randomNetwork(seed, [inputs, h1, h2, 3]);
        const box = randomBox(seed, inputs);
        const interval = intervalBounds(network, box);
        const tight = await lpTightenBounds(network, box, interval, { timeoutMs: 10_000 });
        tight.forEach((layer, l) =>
          layer.lower.forEach((lo, j) => {
            expect(lo).toBeGreaterThanOrEqual(interval[l].lower[j]);
            expect(layer.upper[j]).toBeLessThanOrEqual(interval[l].upper[j]);
          }),
        );
        const objective = Float64Array.of(1, -1, 0.5);
        const lowerBound = await lpMinimise(network, box, tight, objective, { timeoutMs: 10_000 });
        for (const x of samplePoints(seed, box, 300)) {
          preActivations(network, x).forEach((z, l) =>
            z.forEach((v, j) => {
              expect(v).toBeGreaterThanOrEqual(tight[l].lower[j] - 1e-12);
              expect(v).toBeLessThanOrEqual(tight[l].upper[j] + 1e-12);
            }),
          );
          const y = forwardRelu(network, x);
          expect(y[0] - y[1] + 0.5 * y[2]).toBeGreaterThanOrEqual(lowerBound - 1e-12);
        }
      }),
      { seed: 3030, numRuns: 15 },
    );
  });

  it('is strictly tighter than interval arithmetic on a deeper network', async () => {
    const network = randomNetwork(42, [3, 10, 10, 10, 2]);
    const box = randomBox(42, 3);
    const interval = intervalBounds(network, box);
    const tight = await lpTightenBounds(network, box, interval, { timeoutMs: 20_000 });
    const width = (bs: typeof interval) => bs[3].upper.reduce((s, u, j) => s + u - bs[3].lower[j], 0);
    expect(width(tight)).toBeLessThan(0.9 * width(interval));
    // A zero budget keeps the given bounds (the sound fallback).
    const untouched = await lpTightenBounds(network, box, interval, { timeoutMs: 1e-9 });
    expect(untouched.map((b) => Array.from(b.lower))).toEqual(interval.map((b) => Array.from(b.lower)));
  });
});
