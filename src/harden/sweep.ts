/**
 * Trade-off sweeps: train a grid of hardening configurations (the cartesian product of `grid` values set on a
 * base config by dotted paths, e.g. `adversarial.epsilon: [0, 0.1, 0.2]`), measure every point's clean and robust
 * test accuracy at ONE evaluation ε, and return the points with their Pareto front (no other point at least as
 * good on both axes and better on one). Output shape: {points: [{config, cleanAccuracy, robustAccuracy}], pareto}.
 */
import path from 'node:path';
import { z } from 'zod';
import { RampartError } from '../errors.js';
import { parseHardenConfig, runHarden, type HardenSummary } from './run.js';
import type { HardenCallbacks } from './loop.js';

export const sweepConfigSchema = z
  .object({
    /** A harden config (docs/harden.md) shared by every point; `evaluation.epsilon` fixes the robust ε. */
    base: z.record(z.unknown()),
    /** Dotted path → list of values. */
    grid: z.record(z.array(z.unknown()).min(1)).refine((g) => Object.keys(g).length > 0, 'give at least one grid axis'),
    /** Folder for the points' model folders. */
    out: z.string().min(1),
  })
  .strict();
export type SweepConfig = z.output<typeof sweepConfigSchema>;

export interface SweepPoint {
  /** The grid values of this point (dotted path → value). */
  config: Record<string, unknown>;
  cleanAccuracy: number;
  robustAccuracy: number;
  out: string;
  seconds: number;
}

export interface SweepResult {
  evaluation: { epsilon: number; norm: string; attack?: string; testData?: string };
  points: SweepPoint[];
  pareto: SweepPoint[];
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** Every combination of the grid's values, in row-major order of the axes as written. */
export function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [axis, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [axis]: v })));
  return points;
}

/** Points not dominated by any other (≥ on both accuracies, > on one), sorted by clean accuracy. */
export function paretoFront<T extends { cleanAccuracy: number; robustAccuracy: number }>(points: readonly T[]): T[] {
  return points
    .filter((p) => !points.some((q) => q !== p && q.cleanAccuracy >= p.cleanAccuracy && q.robustAccuracy >= p.robustAccuracy && (q.cleanAccuracy > p.cleanAccuracy || q.robustAccuracy > p.robustAccuracy)))
    .sort((a, b) => a.cleanAccuracy - b.cleanAccuracy);
}

export async function runSweep(input: unknown, hooks: { onPoint?: (i: number, total: number, config: Record<string, unknown>) => void; callbacks?: HardenCallbacks } = {}): Promise<SweepResult> {
  const parsed = sweepConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `Invalid sweep config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}. See docs/harden.md.`, { issues: parsed.error.issues });
  }
  const sweep = parsed.data;
  const evaluation = (sweep.base.evaluation ?? {}) as { epsilon?: number; norm?: string };
  if (!(typeof evaluation.epsilon === 'number' && evaluation.epsilon > 0)) {
    throw new RampartError('BAD_OPTION', 'Sweep config: set base.evaluation.epsilon (> 0) so every point is attacked at the same ε.');
  }
  const combos = gridPoints(sweep.grid);
  // validate every point before training any
  const configs = combos.map((combo, i) => {
    const raw: Record<string, unknown> = { ...sweep.base, out: path.join(sweep.out, `point-${i}`) };
    for (const [k, v] of Object.entries(combo)) setPath(raw, k, v);
    return parseHardenConfig(raw, `sweep point ${i} (${JSON.stringify(combo)})`);
  });
  const points: SweepPoint[] = [];
  let last: HardenSummary | undefined;
  for (let i = 0; i < configs.length; i++) {
    hooks.onPoint?.(i, configs.length, combos[i]);
    last = await runHarden(configs[i], hooks.callbacks);
    if (!last.test || last.test.robustAccuracy === undefined) {
      throw new RampartError('BAD_OPTION', 'Sweep points need test data with a robust evaluation: use mnist:train / fashion-mnist:train data or set base.testData, and base.evaluation.robustSamples > 0.');
    }
    points.push({ config: combos[i], cleanAccuracy: last.test.cleanAccuracy, robustAccuracy: last.test.robustAccuracy, out: configs[i].out, seconds: last.seconds });
  }
  return {
    evaluation: { epsilon: evaluation.epsilon, norm: evaluation.norm ?? 'linf', attack: last?.test?.attack, testData: last?.test?.spec },
    points,
    pareto: paretoFront(points),
  };
}
