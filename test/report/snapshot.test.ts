/** Snapshot validation: threshold semantics (hand-computed), policy validation per field. */
import { describe, expect, it } from 'vitest';
import { judgeCheck } from '../../src/report/snapshot.js';
import { parsePolicy, validatePolicy, type PolicyCheck } from '../../src/report/snapshot-policy.js';
import { isRampartError } from '../../src/errors.js';

const check = (extra: Record<string, unknown>): PolicyCheck => validatePolicy({ checks: [{ metric: 'accuracy', threshold: 0, ...extra }] }).checks[0];

function problems(value: unknown): string[] {
  try {
    validatePolicy(value);
  } catch (e) {
    if (isRampartError(e) && e.code === 'BAD_OPTION') return e.details.issues as string[];
    throw e;
  }
  return [];
}

describe('judgeCheck (TFX / MLflow threshold semantics)', () => {
  it('absolute threshold: ≥ for higher-is-better, ≤ for lower-is-better', () => {
    expect(judgeCheck(check({ threshold: 0.9 }), 0.9, null).outcomes.threshold).toBe('pass');
    expect(judgeCheck(check({ threshold: 0.9 }), 0.8999, null).outcomes.threshold).toBe('fail');
    const ece = validatePolicy({ checks: [{ metric: 'ece', threshold: 0.05 }] }).checks[0];
    expect(judgeCheck(ece, 0.04, null)).toMatchObject({ greaterIsBetter: false, passed: true });
    expect(judgeCheck(ece, 0.06, null)).toMatchObject({ passed: false });
  });

  it('absolute change: improvement in the better direction ≥ minAbsoluteChange; negative tolerates a drop', () => {
    // 0.95 vs champion 0.955: Δ = −0.005 ≥ −0.01 → pass; 0.94: Δ = −0.015 → fail.
    expect(judgeCheck(check({ minAbsoluteChange: -0.01 }), 0.95, 0.955)).toMatchObject({ passed: true, outcomes: { minAbsoluteChange: 'pass' } });
    expect(judgeCheck(check({ minAbsoluteChange: -0.01 }), 0.94, 0.955)).toMatchObject({ passed: false, outcomes: { minAbsoluteChange: 'fail' } });
    // Must improve by 0.01: 0.965 vs 0.955 passes (within float slack), 0.96 fails.
    expect(judgeCheck(check({ minAbsoluteChange: 0.01 }), 0.965, 0.955).passed).toBe(true);
    expect(judgeCheck(check({ minAbsoluteChange: 0.01 }), 0.96, 0.955).passed).toBe(false);
    // Lower is better: ECE 0.03 vs champion 0.05 improves by 0.02.
    const ece = validatePolicy({ checks: [{ metric: 'ece', minAbsoluteChange: 0.015 }] }).checks[0];
    expect(judgeCheck(ece, 0.03, 0.05)).toMatchObject({ passed: true });
    expect(judgeCheck(ece, 0.04, 0.05)).toMatchObject({ passed: false });
  });

  it('relative change is relative to |champion|; change criteria are not evaluated without a champion', () => {
    // 0.45 vs 0.5: relative −0.1 ≥ −0.1 → pass; 0.44: −0.12 → fail.
    expect(judgeCheck(check({ minRelativeChange: -0.1 }), 0.45, 0.5)).toMatchObject({ passed: true, relativeChange: expect.closeTo(-0.1, 12) });
    expect(judgeCheck(check({ minRelativeChange: -0.1 }), 0.44, 0.5).passed).toBe(false);
    const none = judgeCheck(check({ threshold: 0.5, minAbsoluteChange: 0, minRelativeChange: 0 }), 0.6, null);
    expect(none).toMatchObject({ passed: true, absoluteChange: null, outcomes: { threshold: 'pass', minAbsoluteChange: 'not evaluated', minRelativeChange: 'not evaluated' } });
  });

  it('greaterIsBetter overrides the direction', () => {
    expect(judgeCheck(check({ threshold: 0.2, greaterIsBetter: false }), 0.1, null).passed).toBe(true);
  });
});

describe('policy validation', () => {
  it('fills defaults', () => {
    const policy = parsePolicy('checks:\n  - metric: robustAccuracy\n    minAbsoluteChange: -0.05\n');
    expect(policy).toMatchObject({ samples: 500, seed: 0, checks: [{ metric: 'robustAccuracy', attack: 'pgd', norm: 'linf', epsilon: 0.1, steps: 10, samples: 100 }] });
  });

  it('reports every problem with its field path', () => {
    const found = problems({
      samples: 'many',
      extra: 1,
      checks: [
        { metric: 'accuracy', threshold: 1.5 },
        { metric: 'robustAccuracy', epsilon: 3, threshold: 0.5 },
        { metric: 'corruptionAccuracy', corruptions: ['fog', 'lava'], minAbsoluteChange: 0 },
        { metric: 'oodAuroc', set: 'noise', treshold: 0.5 },
        { metric: 'f1', threshold: 0.5 },
      ],
    });
    expect(found.some((p) => p.startsWith('samples: Expected number'))).toBe(true);
    expect(found.some((p) => p.includes("Unrecognized key(s) in object: 'extra'"))).toBe(true);
    expect(found.some((p) => p.startsWith('checks[3]') && p.includes("'treshold'"))).toBe(true);
    expect(found.some((p) => p.startsWith('checks[4].metric'))).toBe(true);
    // The semantic checks run once the shape is right:
    const semantic = problems({ checks: [{ metric: 'accuracy', threshold: 1.5 }, { metric: 'robustAccuracy', epsilon: 3, threshold: 0.5 }, { metric: 'corruptionAccuracy', corruptions: ['fog', 'lava'], minAbsoluteChange: 0 }, { metric: 'ece' }] });
    expect(semantic).toEqual([
      'checks[0].threshold: accuracy is a fraction in [0, 1]; got 1.5',
      'checks[1].epsilon: ε = 3 is impossible for linf; give ε > 0 and ≤ 1 (inputs lie in [0, 1])',
      expect.stringMatching(/^checks\[2\]\.corruptions\[1\]: unknown corruption "lava"/),
      'checks[3]: give at least one of threshold, minAbsoluteChange, minRelativeChange',
    ]);
  });

  it('rejects YAML that does not parse', () => {
    expect(() => parsePolicy('checks: [\n', 'p.yaml')).toThrow(/p.yaml is not valid YAML/);
  });
});
