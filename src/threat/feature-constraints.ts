/**
 * Feature constraints for tabular threat models (intrusion and fraud detection, medical records): some features
 * cannot be changed by the attacker (immutable), some only take values on a grid (integer counts, or a recorded
 * resolution), some form a one-hot categorical group, and each may have its own valid range. A spec is a value
 * (zod-validated JSON); `projectToConstraints` maps candidate rows onto the constraint set *inside* the L∞ ε-ball
 * around the clean rows and the input bounds, so a projected point stays a valid threat-model point:
 * - immutable features take the clean value;
 * - ranges clip each feature to [min, max] ∩ [x − ε, x + ε] ∩ bounds (the clean value is always allowed);
 * - grid features (value = offset + k·step) round to the nearest grid value inside that interval (the clean value
 *   if there is none other);
 * - a categorical group becomes one-hot at its largest entry if the switch fits the ball, else keeps the clean
 *   category.
 * `withFeatureConstraints(attack, spec)` wraps any registered attack: the attack sees zero gradients on immutable
 * features and its proposal is projected before the harness checks it.
 *
 * Reference: Sheatsley et al., "Adversarial Examples for Network Intrusion Detection Systems" (constraint
 * projection), https://arxiv.org/abs/2103.05843; Simonetto et al. 2022, "A Unified Framework for Adversarial
 * Attack and Defense in Constrained Feature Space", https://arxiv.org/abs/2112.01156.
 * Norms: linf (grid and categorical constraints need per-feature limits); immutable features and ranges also for
 * l2/l1, projected before the harness's own ball projection (which only shrinks the perturbation).
 *
 * @example
 * const spec = featureConstraints({ features: 3, immutable: [0], grid: [{ feature: 1, step: 0.25 }], ranges: [{ feature: 2, min: 0.1, max: 0.9 }] });
 * projectToConstraints(Float32Array.of(0.9, 0.6, 1), Float32Array.of(0.5, 0.5, 0.5), spec, { epsilon: 0.2, bounds: [0, 1] });
 * // → [0.5, 0.5, 0.7]: feature 0 immutable, feature 1 rounds to 0.5 (0.75 is outside the ball), feature 2 clipped
 */
import { z } from 'zod';
import { RampartError } from '../errors.js';

const featureIndex = z.number().int().nonnegative();

export const featureConstraintsSchema = z
  .object({
    /** Number of features per row. */
    features: z.number().int().positive(),
    /** Optional feature names (for messages and reports). */
    names: z.array(z.string()).optional(),
    /** Features the attacker cannot change. */
    immutable: z.array(featureIndex).default([]),
    /** Valid range per feature (in the model's input units). */
    ranges: z.array(z.object({ feature: featureIndex, min: z.number().finite(), max: z.number().finite() })).default([]),
    /** Features whose values lie on a grid offset + k·step (integers after scaling, a recorded resolution). */
    grid: z.array(z.object({ feature: featureIndex, step: z.number().positive().finite(), offset: z.number().finite().default(0) })).default([]),
    /** One-hot categorical groups: exactly one feature of each group is 1 (bounds[1]), the others 0 (bounds[0]). */
    categorical: z.array(z.object({ features: z.array(featureIndex).min(2) })).default([]),
  })
  .strict();
export type FeatureConstraintsInput = z.input<typeof featureConstraintsSchema>;
export type FeatureConstraints = z.output<typeof featureConstraintsSchema>;

/** Validates a constraint spec; every problem is named in one error. */
export function featureConstraints(input: FeatureConstraintsInput): FeatureConstraints {
  const parsed = featureConstraintsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `Invalid feature constraints: ${issues}.`, { issues: parsed.error.issues });
  }
  const spec = parsed.data;
  const problems: string[] = [];
  const check = (feature: number, where: string) => {
    if (feature >= spec.features) problems.push(`${where}: feature ${feature} does not exist (features 0..${spec.features - 1})`);
  };
  spec.immutable.forEach((f) => check(f, 'immutable'));
  spec.ranges.forEach((r) => {
    check(r.feature, 'ranges');
    if (r.min > r.max) problems.push(`ranges: feature ${r.feature} has min ${r.min} > max ${r.max}`);
  });
  spec.grid.forEach((g) => check(g.feature, 'grid'));
  const seen = new Set<number>();
  spec.categorical.forEach((group, k) =>
    group.features.forEach((f) => {
      check(f, `categorical[${k}]`);
      if (seen.has(f)) problems.push(`categorical: feature ${f} is in two groups`);
      seen.add(f);
    }),
  );
  if (spec.names && spec.names.length !== spec.features) problems.push(`names has ${spec.names.length} entries for ${spec.features} features`);
  if (problems.length > 0) throw new RampartError('BAD_OPTION', `Invalid feature constraints: ${problems.join('; ')}. Fix the constraint spec.`, { problems });
  return spec;
}

export interface ProjectionLimits {
  /** L∞ radius around the clean row (Infinity: no ball, only the constraints and bounds). */
  epsilon: number;
  bounds: readonly [number, number];
}

const TOL = 1e-6;

/** Projects rows (row-major [n, F]) onto the constraints within the L∞ ball around `clean` and the bounds. */
export function projectToConstraints(rows: Float32Array, clean: Float32Array, spec: FeatureConstraints, limits: ProjectionLimits): Float32Array {
  const f = spec.features;
  if (rows.length !== clean.length || rows.length % f !== 0) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `projectToConstraints: rows (${rows.length} values) and clean rows (${clean.length}) must both be [n, ${f}].`, {});
  }
  const out = Float32Array.from(rows);
  const n = rows.length / f;
  const eps = limits.epsilon;
  const [lo, hi] = limits.bounds;
  const rangeOf = new Map(spec.ranges.map((r) => [r.feature, r]));
  const gridOf = new Map(spec.grid.map((g) => [g.feature, g]));
  const immutable = new Set(spec.immutable);
  const inGroup = new Set(spec.categorical.flatMap((g) => g.features));
  for (let i = 0; i < n; i++) {
    const base = i * f;
    for (let j = 0; j < f; j++) {
      if (inGroup.has(j)) continue;
      const x0 = clean[base + j];
      if (immutable.has(j)) {
        out[base + j] = x0;
        continue;
      }
      // allowed interval: ball ∩ bounds ∩ range, widened to contain the clean value
      const range = rangeOf.get(j);
      let low = Math.max(x0 - eps, lo, range ? range.min : -Infinity);
      let high = Math.min(x0 + eps, hi, range ? range.max : Infinity);
      low = Math.min(low, x0);
      high = Math.max(high, x0);
      let v = Math.min(high, Math.max(low, out[base + j]));
      const grid = gridOf.get(j);
      if (grid) {
        const k = Math.round((v - grid.offset) / grid.step);
        const candidates = [k, k - 1, k + 1].map((m) => grid.offset + m * grid.step).filter((c) => c >= low - TOL && c <= high + TOL);
        v = candidates.length > 0 ? candidates.reduce((best, c) => (Math.abs(c - v) < Math.abs(best - v) ? c : best)) : x0;
      }
      out[base + j] = v;
    }
    for (const group of spec.categorical) {
      let best = group.features[0];
      let cleanCategory = group.features[0];
      for (const j of group.features) {
        if (out[base + j] > out[base + best]) best = j;
        if (clean[base + j] > clean[base + cleanCategory]) cleanCategory = j;
      }
      // switching category moves two features by the full range: only if the ball allows it and none is immutable
      const canSwitch = hi - lo <= eps + TOL && !group.features.some((j) => immutable.has(j));
      const chosen = canSwitch ? best : cleanCategory;
      for (const j of group.features) out[base + j] = j === chosen ? hi : lo;
    }
  }
  return out;
}

export interface ConstraintViolation {
  row: number;
  feature: number;
  kind: 'immutable' | 'range' | 'grid' | 'categorical';
  value: number;
}

/** Every violation of the constraints by rows (against their clean rows); empty when all hold. */
export function constraintViolations(rows: Float32Array, clean: Float32Array, spec: FeatureConstraints, tolerance = 1e-5): ConstraintViolation[] {
  const f = spec.features;
  const n = rows.length / f;
  const found: ConstraintViolation[] = [];
  for (let i = 0; i < n; i++) {
    const base = i * f;
    for (const j of spec.immutable) if (Math.abs(rows[base + j] - clean[base + j]) > tolerance) found.push({ row: i, feature: j, kind: 'immutable', value: rows[base + j] });
    for (const r of spec.ranges) {
      const v = rows[base + r.feature];
      const x0 = clean[base + r.feature];
      if ((v < r.min - tolerance || v > r.max + tolerance) && Math.abs(v - x0) > tolerance) found.push({ row: i, feature: r.feature, kind: 'range', value: v });
    }
    for (const g of spec.grid) {
      const v = rows[base + g.feature];
      const k = Math.round((v - g.offset) / g.step);
      if (Math.abs(g.offset + k * g.step - v) > tolerance && Math.abs(v - clean[base + g.feature]) > tolerance) found.push({ row: i, feature: g.feature, kind: 'grid', value: v });
    }
    for (const group of spec.categorical) {
      const values = group.features.map((j) => rows[base + j]);
      const ones = values.filter((v) => Math.abs(v - 1) <= tolerance).length;
      const zeros = values.filter((v) => Math.abs(v) <= tolerance).length;
      if (ones !== 1 || zeros !== values.length - 1) found.push({ row: i, feature: group.features[0], kind: 'categorical', value: ones });
    }
  }
  return found;
}
