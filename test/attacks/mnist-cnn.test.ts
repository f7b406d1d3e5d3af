/**
 * The attacks on the shipped MNIST CNN (skipped when the reference models are not installed): FGSM is never
 * stronger than PGD, PGD-40 L∞ at ε = 0.3 leaves ≤ 2 % robust accuracy, success is verified through ONNX Runtime,
 * and a whole run leaks no tensors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { setupBackend } from '../../src/engine/backend.js';
import { builtinModelsDir, loadModel } from '../../src/engine/load.js';
import type { Model } from '../../src/engine/model.js';
import { openDataset } from '../../src/data/index.js';
import { createVerifier, runAttacks, type AttackReport, type Verifier } from '../../src/attacks/harness.js';
import { expectNoLeaks } from '../helpers/leaks.js';

const folder = path.join(builtinModelsDir(), 'mnist-cnn');
const present = fs.existsSync(path.join(folder, 'model.json')) && fs.existsSync(path.join(folder, 'model.onnx'));

describe.skipIf(!present)('attacks on builtin:mnist-cnn (100 test images)', () => {
  let model: Model;
  let verifier: Verifier;
  let report: AttackReport;
  const epsilons = [0.1, 0.2, 0.3];

  beforeAll(async () => {
    await setupBackend();
    model = await loadModel('builtin:mnist-cnn');
    verifier = await createVerifier(model, { onnxFile: path.join(folder, 'model.onnx') });
    const data = await openDataset('mnist:test', { limit: 100 });
    report = await expectNoLeaks(() =>
      runAttacks({ model, data, verifier, attacks: [{ id: 'fgsm' }, { id: 'pgd', options: { steps: 40 } }], norm: 'linf', epsilons, seed: 1, batchSize: 100 }),
    );
  }, 600_000);

  afterAll(() => {
    verifier?.dispose();
    model?.dispose();
  });

  it('re-verifies through ONNX Runtime, which agrees with the TF.js model on clean data', () => {
    expect(report.verifier.kind).toBe('onnxruntime');
    expect(report.verifier.maxCleanLogitDifference).toBeLessThan(1e-3);
    expect(report.clean.accuracy).toBeGreaterThan(0.9);
  });

  it('FGSM robust accuracy ≥ PGD robust accuracy at every ε; both fall as ε grows', () => {
    const [fgsm, pgd] = report.attacks;
    epsilons.forEach((_, e) => expect(fgsm.results[e].robustAccuracy).toBeGreaterThanOrEqual(pgd.results[e].robustAccuracy));
    for (let e = 1; e < epsilons.length; e++) expect(pgd.results[e].robustAccuracy).toBeLessThanOrEqual(pgd.results[e - 1].robustAccuracy);
    expect(fgsm.results[0].robustAccuracy).toBeLessThan(report.clean.accuracy + 1e-12);
  });

  it('PGD-40 L∞ at ε = 0.3 leaves at most 2% robust accuracy', () => {
    const pgd = report.attacks[1].results[2];
    expect(pgd.epsilon).toBe(0.3);
    expect(pgd.robustAccuracy).toBeLessThanOrEqual(0.02);
  });

  it('no invalid proposals; perturbations stay in the ball; queries are counted', () => {
    for (const attack of report.attacks) {
      for (const r of attack.results) {
        expect(r.invalid).toBe(0);
        if (r.perturbation.p90 !== null) expect(r.perturbation.byNorm.linf.p90!).toBeLessThanOrEqual(r.epsilon + 1e-6);
        expect(r.queries.perSample.gradient).toBeGreaterThanOrEqual(1);
      }
    }
    expect(report.attacks[1].results[0].queries.perSample.gradient).toBeLessThanOrEqual(40);
    report.worstCase.forEach((w, e) => expect(w.robustAccuracy).toBeLessThanOrEqual(Math.min(report.attacks[0].results[e].robustAccuracy, report.attacks[1].results[e].robustAccuracy)));
  });
});
