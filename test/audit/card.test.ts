/** The robustness card on hand-made results: Wilson intervals, limitations (skipped, failed, missing sections, warnings), quoting of the reproduce command. */
import { describe, it, expect } from 'vitest';
import { renderCard, wilsonInterval } from '../../src/report/card.js';
import { summarize } from '../../src/report/audit/summary.js';
import type { AuditResults, SectionResult } from '../../src/report/audit/results.js';

describe('robustness card', () => {
  it('Wilson interval: known values', () => {
    // p = 0.5, n = 100: centre 0.5, half-width 1.96·sqrt(0.0025 + 0.000096)/1.0384 = 0.0962
    expect(wilsonInterval(0.5, 100)).toBe(' (40.4–59.6)');
    // p = 0, n = 100: upper end z²/n / (1 + z²/n) = 0.0370
    expect(wilsonInterval(0, 100)).toBe(' (0.0–3.7)');
    expect(wilsonInterval(0.3, 0)).toBe('');
  });

  it('lists skipped, failed and unfinished sections and warnings under known limitations, and quotes the command', () => {
    const timing = { startedAt: 't0', finishedAt: 't1', seconds: 2 };
    const sections: Record<string, SectionResult> = {
      clean: { id: 'clean', type: 'clean', title: 'Clean', status: 'ok', method: 'top-1', parameters: {}, samples: 100, metrics: { cleanAccuracy: 0.5, correct: 50, count: 100, perClassAccuracy: [], confusionMatrix: [], samplesPerSecond: 1 }, warnings: [], timing },
      crown: { id: 'crown', type: 'certification', title: 'Crown', status: 'skipped', reason: 'bounds cannot read Softmax', method: 'crown', parameters: { method: 'crown', norm: 'linf', epsilons: [0.01] }, samples: 0, metrics: null, warnings: [], timing },
      ood: { id: 'ood', type: 'ood', title: 'OOD', status: 'failed', reason: 'boom', method: 'ood', parameters: {}, samples: 0, metrics: null, warnings: [{ code: 'ood-set-unavailable', message: 'no fashion' }], timing },
    };
    const order = ['clean', 'crown', 'ood', 'calibration'];
    const results = {
      status: 'running',
      manifest: {
        tool: { name: 'rampart', version: '9.9.9' }, argv: ['audit', '--config', 'my suite.yaml'], startedAt: 't0', finishedAt: null, totalSeconds: 3, seed: 4, configSha256: 'c', configSource: 'my suite.yaml',
        environment: { node: 'v20', tfjs: '4', onnxruntime: null, backend: 'cpu', platform: 'linux', arch: 'x64', cpus: 2 },
        model: { spec: 'm.onnx', format: 'onnx', sha256: 's', inputShape: [4], numClasses: 3, bounds: [0, 1] },
        data: { spec: 'd', count: 100, sampleShape: [4], sha256: 'h' },
      },
      sectionOrder: order,
      sections,
      summary: summarize(order, sections),
      warnings: [{ code: 'ood-set-unavailable', message: 'no fashion', section: 'ood' }],
    } as unknown as AuditResults;
    const card = renderCard(results);
    expect(card).toMatch(/^# Robustness card: m\.onnx/);
    expect(card).toContain('| clean accuracy | 50.0 % (40.4–59.6) | 100 | clean |');
    expect(card).toContain('- Section **crown** skipped: bounds cannot read Softmax');
    expect(card).toContain('- Section **ood** failed: boom');
    expect(card).toContain('- Section **calibration** did not run (the audit was interrupted).');
    expect(card).toContain('- Warning (ood, ood-set-unavailable): no fashion');
    expect(card).toContain("npx rampart audit --config 'my suite.yaml'");
    expect(card).toContain('(running)');
  });
});
