/** The diagnostics stay silent on the reference models (all checks, active ones included). */
import { describe, it, expect, beforeAll } from 'vitest';
import { setupBackend } from '../../engine/backend.js';
import { loadModel } from '../../engine/load.js';
import { openDataset } from '../../data/index.js';
import type { Dataset } from '../../data/dataset.js';
import { runAttacks } from '../../attacks/harness.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';
import { diagnoseAttackRun, runDiagnostics } from './run.js';
import { diagnosticRegistry } from './builtin.js';

let data: Dataset;
beforeAll(async () => {
  await setupBackend();
  data = await openDataset('mnist:test', { limit: 12 });
});

describe('diagnostics on the reference models', () => {
  for (const spec of ['builtin:mnist-cnn', 'builtin:mnist-mlp']) {
    it(`raise no flag on ${spec} (PGD, FGSM, Square at ε = 0.1; active checks with PGD-40)`, async () => {
      const model = await loadModel(spec);
      try {
        const report = await runAttacks({ model, data, attacks: [{ id: 'fgsm' }, { id: 'pgd' }, { id: 'square', options: { queries: 100 } }], norm: 'linf', epsilons: [0.1], batchSize: 12 });
        const section = await runDiagnostics({ model, data, report, norm: 'linf', epsilons: [0.1], active: true, attack: { id: 'pgd', options: { steps: 40 } } });
        expect(section.flags, JSON.stringify(section.flags)).toEqual([]);
        expect(section.checks.map((c) => c.id)).toEqual(diagnosticRegistry.ids());
        expect(section.checks.filter((c) => c.status === 'skipped')).toEqual([]);
        // the cheap set attached to attack results, without leaking tensors
        const cheap = await expectNoLeaks(() => diagnoseAttackRun({ model, data, report }));
        expect(cheap.flags).toEqual([]);
        expect(cheap.checks.some((c) => c.id === 'not-converged')).toBe(false);
      } finally {
        model.dispose();
      }
    });
  }
});
