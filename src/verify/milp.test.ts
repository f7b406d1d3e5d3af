import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { milpEngine, createMilpEngine, intervalRefutes } from './milp.js';
import { forwardRelu, intervalBounds } from './interval.js';
import { conjunctionMargin } from './encode-witness.js';
import { exactMaxMargin, randomBox, randomConjunction, randomNetwork } from '../../test/helpers/relu-networks.js';
import type { ReluNetwork } from './problem.js';

/** Hand-made: y = relu(x) − relu(−x) on x ∈ [−1, 1] is the identity, so y ≥ 0.5 is sat and y ≥ 1.5 unsat. */
const identity: ReluNetwork = {
  inputSize: 1,
  outputSize: 1,
  layers: [
    { inSize: 1, outSize: 2, weights: Float64Array.of(1, -1), bias: Float64Array.of(0, 0) },
    { inSize: 2, outSize: 1, weights: Float64Array.of(1, -1), bias: Float64Array.of(0) },
  ],
};
const unitBox = { lower: Float64Array.of(-1), upper: Float64Array.of(1) };
const atLeast = (v: number) => ({ constraints: [{ coefficients: Float64Array.of(-1), rhs: -v }] });

describe('milpEngine', () => {
  it('answers a hand-computed identity network exactly', async () => {
    const engine = createMilpEngine({ samples: 0 });
    // Centre 0 fails y ≥ 0.5, so with no samples the MILP must find the point.
    const sat = await engine(identity, unitBox, atLeast(0.999), { timeoutMs: 10_000 });
    expect(sat.status).toBe('sat');
    if (sat.status === 'sat') expect(sat.counterexample.input[0]).toBeGreaterThanOrEqual(0.999);
    expect((await engine(identity, unitBox, atLeast(1.001), { timeoutMs: 10_000 })).status).toBe('unsat');
    // 0.5 ≤ y ≤ 0.4: each row alone passes interval arithmetic, so the solver itself must prove the conjunction empty.
    const empty = { constraints: [...atLeast(0.5).constraints, { coefficients: Float64Array.of(1), rhs: 0.4 }] };
    expect(intervalRefutes(intervalBounds(identity, unitBox)[1], empty)).toBe(false);
    expect((await engine(identity, unitBox, empty, { timeoutMs: 10_000 })).status).toBe('unsat');
    // Exactly on the boundary (y ≥ 1 only at x = 1): margin 0, still sat.
    const edge = await engine(identity, unitBox, atLeast(1), { timeoutMs: 10_000 });
    expect(edge.status).toBe('sat');
  });

  it('agrees with activation-pattern enumeration on random networks, and counterexamples hold', async () => {
    let sat = 0;
    let unsat = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 2 }), async (seed, inputs, h1, h2, rows) => {
        const network = randomNetwork(seed, [inputs, h1, h2, 2]);
        const box = randomBox(seed, inputs);
        const conjunction = randomConjunction(seed, network, box, rows);
        const truth = await exactMaxMargin(network, box, conjunction);
        if (Math.abs(truth) < 1e-5) return; // too close to the boundary to call either way
        const verdict = await createMilpEngine({ samples: 0 })(network, box, conjunction, { timeoutMs: 20_000 });
        if (truth > 0) {
          sat++;
          expect(verdict.status).toBe('sat');
          if (verdict.status === 'sat') {
            const { input, output } = verdict.counterexample;
            input.forEach((v, i) => {
              expect(v).toBeGreaterThanOrEqual(box.lower[i]);
              expect(v).toBeLessThanOrEqual(box.upper[i]);
            });
            expect(Array.from(forwardRelu(network, input))).toEqual(Array.from(output));
            expect(conjunctionMargin(conjunction, output)).toBeGreaterThanOrEqual(0);
          }
        } else {
          unsat++;
          expect(verdict.status).toBe('unsat');
        }
      }),
      { seed: 1010, numRuns: 40 },
    );
    // The generator must exercise both answers, or the test proves little.
    expect(sat).toBeGreaterThan(5);
    expect(unsat).toBeGreaterThan(5);
  });

  it('returns timeout, not an answer, when the budget is gone', async () => {
    const network = randomNetwork(7, [5, 40, 40, 40, 2]);
    const box = randomBox(7, 5);
    const conjunction = { constraints: [{ coefficients: Float64Array.of(1, -1), rhs: -1e9 }, { coefficients: Float64Array.of(-1, 1), rhs: -1e9 }] };
    // Infeasible by interval bounds would be 'unsat'; use a rhs interval arithmetic cannot refute.
    const hard = { constraints: [{ coefficients: Float64Array.of(1, -1), rhs: -0.0 }, { coefficients: Float64Array.of(-1, 1), rhs: -0.0 }] };
    const verdict = await createMilpEngine({ samples: 0 })(network, box, hard, { timeoutMs: 1 });
    expect(verdict.status).toBe('timeout');
    expect((await milpEngine(network, box, conjunction, { timeoutMs: 5_000 })).status).toBe('unsat');
  });

  it('rejects mismatched shapes with a clear error', async () => {
    await expect(milpEngine(identity, { lower: Float64Array.of(0, 0), upper: Float64Array.of(1, 1) }, atLeast(0), { timeoutMs: 1000 })).rejects.toThrow(/input box has 2 coordinates/);
    expect(() => createMilpEngine({ marginCap: -1 } as never)).toThrow(/marginCap/);
  });
});
