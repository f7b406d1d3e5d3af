import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { repoRoot } from '../../test/helpers/cli.js';
import { binomialPValue, clopperPearsonLower, clopperPearsonUpper, normalPpf, smoothingRadius } from './statistics.js';

interface Reference {
  certify: { nA: number; n: number; alpha: number; sigma: number; pALower: number; pAUpper: number; radius: number; abstain: boolean }[];
  predict: { nA: number; nB: number; pValue: number }[];
  normalPpf: { p: number; ppf: number }[];
}
// Numbers computed once with scipy by scripts/smoothing-reference.py.
const reference = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'smoothing-reference.json'), 'utf8')) as Reference;

const close = (actual: number, expected: number, relative: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.max(1e-12, Math.abs(expected)));

describe('smoothing statistics against scipy', () => {
  it('Clopper–Pearson bounds and radii match scipy for fixed counts', () => {
    expect(reference.certify.length).toBeGreaterThan(10);
    for (const c of reference.certify) {
      close(clopperPearsonLower(c.nA, c.n, c.alpha), c.pALower, 1e-9);
      close(clopperPearsonUpper(c.nA, c.n, c.alpha), c.pAUpper, 1e-9);
      const radius = smoothingRadius(c.sigma, clopperPearsonLower(c.nA, c.n, c.alpha));
      close(radius, c.radius, 1e-8);
      expect(radius === 0).toBe(c.abstain);
    }
  });

  it("PREDICT's two-sided binomial p-values match scipy.stats.binomtest", () => {
    for (const c of reference.predict) close(binomialPValue(c.nA, c.nA + c.nB), c.pValue, 1e-8);
  });

  it('Φ⁻¹ matches norm.ppf', () => {
    for (const q of reference.normalPpf) expect(Math.abs(normalPpf(q.p) - q.ppf)).toBeLessThan(1e-10);
  });

  it('property: lower ≤ k/n ≤ upper, and the lower bound grows with k and with α', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0.001, 0.01, 0.05), (n, f, alpha) => {
        const k = Math.min(n, Math.floor(f * n));
        const lo = clopperPearsonLower(k, n, alpha);
        const hi = clopperPearsonUpper(k, n, alpha);
        expect(lo).toBeLessThanOrEqual(k / n + 1e-12);
        expect(hi).toBeGreaterThanOrEqual(k / n - 1e-12);
        if (k < n) expect(clopperPearsonLower(k + 1, n, alpha)).toBeGreaterThanOrEqual(lo);
        expect(clopperPearsonLower(k, n, Math.min(0.5, alpha * 10))).toBeGreaterThanOrEqual(lo);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('rejects counts and α that make no sense, naming the fix', () => {
    expect(() => clopperPearsonLower(11, 10, 0.001)).toThrow(/0 ≤ successes ≤ trials/);
    expect(() => clopperPearsonLower(5, 10, 0)).toThrow(/alpha must lie in \(0, 1\)/);
  });
});
