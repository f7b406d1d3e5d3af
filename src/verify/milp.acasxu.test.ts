/**
 * MILP (and SMT) on real ACAS Xu instances from VNN-COMP 2021 (the shared benchmark folder): one property that
 * holds (truth: unsat) and one that is violated (truth: sat), both small input boxes the engines decide in
 * seconds. Sampling is off so the solvers themselves must find the counterexample.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../../test/helpers/shared.js';
import { loadReluNetwork } from './network.js';
import { parseVnnlib } from './vnnlib.js';
import { createMilpEngine } from './milp.js';
import { createSmtEngine, shutdownSmt } from './smt.js';
import { conjunctionMargin } from './encode-witness.js';
import { forwardRelu } from './interval.js';

const root = path.join(sharedDir(), 'benchmarks', 'acasxu');
const load = (net: string, prop: number) => ({
  network: loadReluNetwork(path.join(root, `onnx/ACASXU_run2a_${net}_batch_2000.onnx`)).network,
  property: parseVnnlib(fs.readFileSync(path.join(root, `vnnlib/prop_${prop}.vnnlib`), 'utf8')),
});

afterAll(async () => {
  await shutdownSmt();
});

describe('complete engines on ACAS Xu', () => {
  it('MILP and SMT prove net 5_7 property 3 (truth: holds)', async () => {
    const { network, property } = load('5_7', 3);
    expect(property.cases).toHaveLength(1);
    const { box, outputs } = property.cases[0];
    for (const engine of [createMilpEngine({ samples: 0 }), createSmtEngine({ samples: 0 })]) {
      const verdict = await engine(network, box, outputs[0], { timeoutMs: 25_000 });
      expect(verdict.status).toBe('unsat');
    }
  });

  it('MILP finds a checked counterexample for net 1_8 property 4 (truth: violated)', async () => {
    const { network, property } = load('1_8', 4);
    const { box, outputs } = property.cases[0];
    const verdict = await createMilpEngine({ samples: 0 })(network, box, outputs[0], { timeoutMs: 30_000 });
    expect(verdict.status).toBe('sat');
    if (verdict.status !== 'sat') return;
    const { input } = verdict.counterexample;
    input.forEach((v, i) => expect(v >= box.lower[i] && v <= box.upper[i]).toBe(true));
    expect(conjunctionMargin(outputs[0], forwardRelu(network, input))).toBeGreaterThanOrEqual(0);
  });
});
