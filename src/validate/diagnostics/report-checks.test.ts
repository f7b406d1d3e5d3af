/** The cross-attack checks on hand-built attack reports (known answers, no model compute). */
import { describe, it, expect } from 'vitest';
import type { AttackReport, AttackReportEntry } from '../../attacks/harness.js';
import type { Model } from '../../engine/model.js';
import { arrayDataset } from '../memory-dataset.js';
import type { DiagnosticContext } from './define.js';
import { blackBoxBeatsWhiteBox } from './black-box-beats-white-box.js';
import { iterativeVsSingleStep } from './iterative-vs-single-step.js';
import { largeEpsilon, unboundedEpsilon } from './large-epsilon.js';

const model = { id: 'stub', format: 'onnx', inputShape: [4, 4, 1], numClasses: 10, bounds: [0, 1] } as unknown as Model;

function entry(id: string, requires: AttackReportEntry['requires'], rates: number[]): AttackReportEntry {
  return { id, requires, results: rates.map((r, e) => ({ epsilon: e, attackSuccessRate: r })) } as unknown as AttackReportEntry;
}

function report(epsilons: number[], attacks: AttackReportEntry[], worst: number[] = epsilons.map(() => 0.5)): AttackReport {
  return {
    clean: { accuracy: 1, correct: 100, count: 100 },
    threat: { norm: 'linf', goal: { kind: 'untargeted' }, bounds: [0, 1], epsilons },
    attacks,
    worstCase: worst.map((w, e) => ({ norm: 'linf', epsilon: epsilons[e], robustAccuracy: 1 - w, attackSuccessRate: w, robustnessScore: w })),
  } as unknown as AttackReport;
}

const context = (r?: AttackReport): DiagnosticContext => ({ model, sample: arrayDataset(new Float32Array(0), new Int32Array(0), [4, 4, 1], 10), report: r, norm: 'linf', epsilons: r?.threat.epsilons ?? [0.1], seed: 0, active: false });

describe('report-based diagnostics', () => {
  it('black-box-beats-white-box: flags a 30-point gap at the worst ε, not a 1-point one', async () => {
    const flagged = await blackBoxBeatsWhiteBox.check(context(report([0.1, 0.3], [entry('pgd', 'gradients', [0.2, 0.5]), entry('fgsm', 'gradients', [0.1, 0.4]), entry('square', 'scores', [0.21, 0.8])])), { margin: 0.02 });
    expect(flagged).toMatchObject({ status: 'flagged', evidence: { epsilon: 0.3, whiteBoxSuccessRate: 0.5, blackBoxSuccessRate: 0.8, blackBoxAttack: 'square', whiteBoxAttack: 'pgd' } });
    const clear = await blackBoxBeatsWhiteBox.check(context(report([0.1], [entry('pgd', 'gradients', [0.5]), entry('square', 'scores', [0.51])])), { margin: 0.02 });
    expect(clear.status).toBe('clear');
    expect((await blackBoxBeatsWhiteBox.check(context(report([0.1], [entry('pgd', 'gradients', [0.5])])), { margin: 0.02 })).status).toBe('skipped');
  });

  it('iterative-weaker-than-single-step: FGSM 60% vs best iterative 40% is flagged; equal is not', async () => {
    const flagged = await iterativeVsSingleStep.check(context(report([0.2], [entry('fgsm', 'gradients', [0.6]), entry('pgd', 'gradients', [0.3]), entry('bim', 'gradients', [0.4])])), { margin: 0.02 });
    expect(flagged).toMatchObject({ status: 'flagged', evidence: { singleStepSuccessRate: 0.6, iterativeSuccessRate: 0.4, iterativeAttack: 'bim' } });
    const clear = await iterativeVsSingleStep.check(context(report([0.2], [entry('fgsm', 'gradients', [0.6]), entry('pgd', 'gradients', [0.6])])), { margin: 0.02 });
    expect(clear.status).toBe('clear');
  });

  it('large-epsilon-not-total: the unbounded ε per norm, and a run at ε = 1 with 90% success', async () => {
    expect(unboundedEpsilon(model, 'linf')).toBe(1);
    expect(unboundedEpsilon(model, 'l2')).toBe(4);
    expect(unboundedEpsilon(model, 'l1')).toBe(16);
    const flagged = await largeEpsilon.check(context(report([0.1, 1], [entry('pgd', 'gradients', [0.3, 0.9])], [0.3, 0.9])), { minSuccess: 0.99, fraction: 1 });
    expect(flagged).toMatchObject({ status: 'flagged', evidence: { epsilon: 1, successRate: 0.9 } });
    const skipped = await largeEpsilon.check(context(report([0.1], [entry('pgd', 'gradients', [0.3])])), { minSuccess: 0.99, fraction: 1 });
    expect(skipped.status).toBe('skipped');
  });
});
