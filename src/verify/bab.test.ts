import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { babCase } from './bab.js';
import { verifyProperty } from './verifier.js';
import { forwardRelu } from './interval.js';
import { conjunctionMargin } from './falsify.js';
import { loadReluNetwork } from './network.js';
import { parseVnnlib } from './vnnlib.js';
import { exactMaxMargin, randomBox, randomConjunction, randomNetwork } from '../../test/helpers/relu-networks.js';
import { sharedDir } from '../../test/helpers/shared.js';
import type { PropertyCase, VerificationProperty } from './problem.js';

const acasxu = path.join(sharedDir(), 'benchmarks', 'acasxu');

describe('branch and bound on small random networks', () => {
  it('agrees with exact activation-pattern enumeration (input and ReLU splitting), counterexamples hold', async () => {
    const tally = { sat: 0, unsat: 0, undecided: 0, skipped: 0 };
    for (let seed = 1; seed <= 24; seed++) {
      const inputs = 2 + (seed % 3);
      const network = randomNetwork(seed, [inputs, 3, 4, 2]);
      const box = randomBox(seed, inputs);
      const conjunction = randomConjunction(seed, network, box, 1 + (seed % 2));
      const exact = await exactMaxMargin(network, box, conjunction);
      // Cases within solver tolerance of the boundary have no reliable reference.
      if (Math.abs(exact) < 1e-6) {
        tally.skipped++;
        continue;
      }
      const expected = exact >= 0 ? 'sat' : 'unsat';
      const pcase: PropertyCase = { box, outputs: [conjunction] };
      for (const branching of ['input', 'relu'] as const) {
        const { verdict } = babCase(network, pcase, { timeoutMs: 2000, seed, branching, accept: () => true });
        if (verdict.status === 'sat') {
          const x = verdict.counterexample.input;
          x.forEach((v, i) => {
            expect(v).toBeGreaterThanOrEqual(box.lower[i]);
            expect(v).toBeLessThanOrEqual(box.upper[i]);
          });
          expect(conjunctionMargin(conjunction, forwardRelu(network, x))).toBeLessThanOrEqual(0);
        }
        if (verdict.status === 'sat' || verdict.status === 'unsat') {
          expect({ seed, branching, status: verdict.status }).toEqual({ seed, branching, status: expected });
          tally[verdict.status]++;
        } else {
          tally.undecided++;
        }
      }
    }
    // Both answers occur, and both branchings decide (almost) everything.
    expect(tally.sat).toBeGreaterThan(4);
    expect(tally.unsat).toBeGreaterThan(4);
    expect(tally.undecided).toBeLessThanOrEqual(2);
  });

  it('agrees with the MILP engine through verifyProperty', async () => {
    let agreed = 0;
    for (let seed = 100; seed < 110; seed++) {
      const network = randomNetwork(seed, [3, 6, 6, 3]);
      const box = randomBox(seed, 3);
      const property: VerificationProperty = { inputSize: 3, outputSize: 3, cases: [{ box, outputs: [randomConjunction(seed, network, box, 2)] }] };
      const bab = await verifyProperty(network, property, { engine: 'bab', timeoutMs: 5000, seed });
      const milp = await verifyProperty(network, property, { engine: 'milp', timeoutMs: 10_000, seed });
      if ((bab.verdict.status === 'sat' || bab.verdict.status === 'unsat') && (milp.verdict.status === 'sat' || milp.verdict.status === 'unsat')) {
        expect({ seed, status: bab.verdict.status }).toEqual({ seed, status: milp.verdict.status });
        agreed++;
      }
    }
    expect(agreed).toBeGreaterThanOrEqual(6);
  });
});

describe('verifyProperty on ACAS Xu', () => {
  const instance = (net: string, prop: number) => ({
    extracted: loadReluNetwork(path.join(acasxu, `onnx/ACASXU_run2a_${net}_batch_2000.onnx`)),
    property: parseVnnlib(fs.readFileSync(path.join(acasxu, `vnnlib/prop_${prop}.vnnlib`), 'utf8')),
  });

  it('proves 4_1 and 3_8 property 4 (unsat, VNN-COMP truth)', async () => {
    for (const [net, prop] of [['4_1', 4], ['3_8', 4]] as const) {
      const { extracted, property } = instance(net, prop);
      const result = await verifyProperty(extracted, property, { timeoutMs: 20_000 });
      expect(result.verdict.status).toBe('unsat');
    }
  });

  it('finds a counterexample for 4_9 property 2 (sat) that ONNX Runtime confirms', async () => {
    const { extracted, property } = instance('4_9', 2);
    const result = await verifyProperty(extracted, property, { timeoutMs: 20_000 });
    expect(result.verdict.status).toBe('sat');
    if (result.verdict.status !== 'sat') return;
    const { input, output } = result.verdict.counterexample;
    const box = property.cases[0].box;
    input.forEach((v, i) => expect(v >= box.lower[i] - 1e-6 && v <= box.upper[i] + 1e-6).toBe(true));
    expect(result.check?.ortMargin).toBeLessThanOrEqual(1e-4);
    // Property 2's unsafe set: Y_0 is maximal.
    expect(Math.max(...output)).toBe(output[0]);
  });
});
