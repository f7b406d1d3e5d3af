import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSmtEngine, doubleToRational, rationalToDouble, shutdownSmt, smtEngine } from './smt.js';
import { createMilpEngine, intervalRefutes } from './milp.js';
import { forwardRelu, intervalBounds } from './interval.js';
import { conjunctionMargin } from './encode-witness.js';
import { exactMaxMargin, randomBox, randomConjunction, randomNetwork } from '../../test/helpers/relu-networks.js';
import type { ReluNetwork } from './problem.js';

afterAll(async () => {
  await shutdownSmt();
});

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

describe('exact rationals', () => {
  it('round-trips every double exactly', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }), (v) => {
        if (v !== 0 && Math.abs(v) < 2.3e-308) return; // subnormals: not claimed exact
        const { numerator, denominator } = doubleToRational(v);
        expect(Object.is(rationalToDouble(numerator, denominator), v === 0 ? 0 : v) || v === 0).toBe(true);
      }),
      { seed: 3, numRuns: 500 },
    );
    expect(doubleToRational(0.1)).toEqual({ numerator: 3602879701896397n, denominator: 36028797018963968n });
    expect(rationalToDouble(1n, 3n)).toBe(1 / 3);
    expect(rationalToDouble(-2n, 3n)).toBe(-2 / 3);
  });
});

describe('smtEngine', () => {
  it('answers the hand-computed identity network', async () => {
    const engine = createSmtEngine({ samples: 0 });
    const sat = await engine(identity, unitBox, atLeast(0.999), { timeoutMs: 10_000 });
    expect(sat.status).toBe('sat');
    if (sat.status === 'sat') expect(sat.counterexample.output[0]).toBeGreaterThanOrEqual(0.999);
    expect((await engine(identity, unitBox, atLeast(1.000001), { timeoutMs: 10_000 })).status).toBe('unsat');
    // 0.5 ≤ y ≤ 0.4: each row alone passes interval arithmetic, so the solver itself must prove the conjunction empty.
    const empty = { constraints: [...atLeast(0.5).constraints, { coefficients: Float64Array.of(1), rhs: 0.4 }] };
    expect(intervalRefutes(intervalBounds(identity, unitBox)[1], empty)).toBe(false);
    expect((await engine(identity, unitBox, empty, { timeoutMs: 10_000 })).status).toBe('unsat');
    // Zero slack: only x = 1 works, and it is representable, so Z3's exact model survives rounding.
    expect((await engine(identity, unitBox, atLeast(1), { timeoutMs: 10_000 })).status).toBe('sat');
  });

  it('agrees with the MILP engine and with pattern enumeration on random networks', async () => {
    let sat = 0;
    let unsat = 0;
    const smt = createSmtEngine({ samples: 0 });
    const milp = createMilpEngine({ samples: 0 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 3, max: 4 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 2 }), async (seed, inputs, h1, h2, rows) => {
        const network = randomNetwork(seed, [inputs, h1, h2, 2]);
        const box = randomBox(seed, inputs);
        const conjunction = randomConjunction(seed, network, box, rows);
        const truth = await exactMaxMargin(network, box, conjunction);
        const smtVerdict = await smt(network, box, conjunction, { timeoutMs: 20_000 });
        const milpVerdict = await milp(network, box, conjunction, { timeoutMs: 20_000 });
        if (smtVerdict.status === 'sat') {
          const { input, output } = smtVerdict.counterexample;
          input.forEach((v, i) => expect(v >= box.lower[i] && v <= box.upper[i]).toBe(true));
          expect(Array.from(forwardRelu(network, input))).toEqual(Array.from(output));
          expect(conjunctionMargin(conjunction, output)).toBeGreaterThanOrEqual(0);
        }
        if (Math.abs(truth) < 1e-5) return; // boundary case: either answer (with a checked witness) is fine
        const expected = truth > 0 ? 'sat' : 'unsat';
        if (expected === 'sat') sat++;
        else unsat++;
        expect(smtVerdict.status).toBe(expected);
        expect(milpVerdict.status).toBe(expected);
      }),
      { seed: 2020, numRuns: 25 },
    );
    expect(sat).toBeGreaterThan(4);
    expect(unsat).toBeGreaterThan(4);
  });

  it('returns timeout when the budget is gone, and unsat from interval bounds without Z3', async () => {
    const network = randomNetwork(11, [5, 40, 40, 40, 2]);
    const box = randomBox(11, 5);
    const hard = { constraints: [{ coefficients: Float64Array.of(1, -1), rhs: 0 }, { coefficients: Float64Array.of(-1, 1), rhs: 0 }] };
    expect((await createSmtEngine({ samples: 0 })(network, box, hard, { timeoutMs: 1 })).status).toBe('timeout');
    const impossible = { constraints: [{ coefficients: Float64Array.of(1, 0), rhs: -1e9 }] };
    expect((await smtEngine(network, box, impossible, { timeoutMs: 1000 })).status).toBe('unsat');
  });
});
