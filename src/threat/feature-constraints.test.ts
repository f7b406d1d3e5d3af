import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { constraintViolations, featureConstraints, projectToConstraints } from './feature-constraints.js';

describe('feature constraints', () => {
  it('projects the header example by hand', () => {
    const spec = featureConstraints({ features: 3, immutable: [0], grid: [{ feature: 1, step: 0.25 }], ranges: [{ feature: 2, min: 0.1, max: 0.9 }] });
    const out = projectToConstraints(Float32Array.of(0.9, 0.6, 1), Float32Array.of(0.5, 0.5, 0.5), spec, { epsilon: 0.2, bounds: [0, 1] });
    expect(Array.from(out)).toEqual([0.5, 0.5, Math.fround(0.7)]);
    // with a wider ball the grid value 0.75 is reachable and the range binds at 0.9
    const wide = projectToConstraints(Float32Array.of(0.9, 0.7, 1), Float32Array.of(0.5, 0.5, 0.5), spec, { epsilon: 0.5, bounds: [0, 1] });
    expect(Array.from(wide)).toEqual([0.5, 0.75, Math.fround(0.9)]);
  });

  it('switches a one-hot category only when the ball allows a full-range move', () => {
    const spec = featureConstraints({ features: 4, categorical: [{ features: [1, 2, 3] }] });
    const clean = Float32Array.of(0.5, 1, 0, 0);
    const proposal = Float32Array.of(0.5, 0.2, 0.9, 0.1);
    expect(Array.from(projectToConstraints(proposal, clean, spec, { epsilon: 1, bounds: [0, 1] }))).toEqual([0.5, 0, 1, 0]);
    expect(Array.from(projectToConstraints(proposal, clean, spec, { epsilon: 0.3, bounds: [0, 1] }))).toEqual([0.5, 1, 0, 0]);
  });

  it('rejects specs naming missing features, inverted ranges or overlapping groups, all at once', () => {
    expect(() => featureConstraints({ features: 3, immutable: [3], ranges: [{ feature: 0, min: 1, max: 0 }], categorical: [{ features: [0, 1] }, { features: [1, 2] }] })).toThrow(
      /immutable: feature 3 does not exist.*min 1 > max 0.*feature 1 is in two groups/,
    );
    expect(() => featureConstraints({ features: 0 })).toThrow(/features/);
  });

  it('projected rows satisfy every constraint, stay in the ε-ball and bounds, and projection is idempotent (property)', () => {
    const spec = featureConstraints({
      features: 7,
      immutable: [0],
      ranges: [{ feature: 1, min: 0.2, max: 0.8 }],
      grid: [{ feature: 2, step: 0.1 }, { feature: 3, step: 0.05, offset: 0.01 }],
      categorical: [{ features: [4, 5, 6] }],
    });
    const row = fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 7, maxLength: 7 });
    fc.assert(
      fc.property(row, row, fc.integer({ min: 0, max: 2 }), fc.constantFrom(0.05, 0.3, 1), (proposalValues, cleanValues, category, epsilon) => {
        const clean = Float32Array.from(cleanValues);
        clean[1] = Math.min(0.8, Math.max(0.2, clean[1]));
        clean[2] = Math.fround(Math.round(clean[2] * 10) / 10);
        clean[3] = Math.fround(0.01 + Math.floor(Math.max(0, clean[3] - 0.01) / 0.05) * 0.05);
        for (let k = 0; k < 3; k++) clean[4 + k] = k === category ? 1 : 0;
        const projected = projectToConstraints(Float32Array.from(proposalValues), clean, spec, { epsilon, bounds: [0, 1] });
        expect(constraintViolations(projected, clean, spec)).toEqual([]);
        expect(projected[0]).toBe(clean[0]);
        for (let j = 0; j < 7; j++) {
          expect(projected[j]).toBeGreaterThanOrEqual(0);
          expect(projected[j]).toBeLessThanOrEqual(1);
          expect(Math.abs(projected[j] - clean[j])).toBeLessThanOrEqual(epsilon + 1e-6);
        }
        expect(Array.from(projectToConstraints(projected, clean, spec, { epsilon, bounds: [0, 1] }))).toEqual(Array.from(projected));
      }),
      { numRuns: 300 },
    );
  });
});
