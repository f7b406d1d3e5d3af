/**
 * The metric paths gates and comparisons address, e.g. `cleanAccuracy`, `robustAccuracy[linf,0.1]`,
 * `oodAuroc[noise]`: a catalog of named metrics, each listing the values a result has (one per argument tuple).
 * Values are read from the report view (src/report/html/view.ts), so they are the numbers the HTML report shows;
 * nothing is recomputed.
 *
 * Arguments match by value: numbers numerically (`0.1` = `0.10`), names case-insensitively.
 *
 * @example
 * const values = listMetricValues(toReportView(results));
 * values.find((v) => v.path === 'robustAccuracy[linf,0.1]')?.value; // 0.55
 */
import type { ReportView } from './html/view.js';

export interface MetricValue {
  /** Canonical path, e.g. `robustAccuracy[linf,0.1]`. */
  path: string;
  name: string;
  args: (string | number)[];
  value: number;
}

export interface MetricDefinition {
  name: string;
  /** Argument names of each accepted form, e.g. [[], ['set'], ['set', 'score']]. */
  forms: string[][];
  description: string;
  /** Direction of improvement (for compare and for reading a gate). */
  higherIsBetter: boolean;
  list(view: ReportView): { args: (string | number)[]; value: number }[];
}

const unique = <T>(values: T[]) => [...new Set(values)];
const one = (value: number | null | undefined) => (value === null || value === undefined || !Number.isFinite(value) ? [] : [{ args: [] as (string | number)[], value }]);

/** The OOD entry a one-argument oodAuroc[set] reads: the primary score (the audit's primaryScore; msp otherwise). */
function primaryOod(view: ReportView, set: string) {
  const entries = view.ood?.entries.filter((e) => e.set === set) ?? [];
  return entries.find((e) => e.primary) ?? entries[0];
}

export const metricCatalog: readonly MetricDefinition[] = [
  {
    name: 'cleanAccuracy',
    forms: [[]],
    description: 'top-1 accuracy on the clean data',
    higherIsBetter: true,
    list: (v) => one(v.clean?.accuracy),
  },
  {
    name: 'robustAccuracy',
    forms: [['norm', 'eps'], ['norm', 'eps', 'attack']],
    description: 'robust accuracy at ε: the per-sample worst case over all attacks of that norm; with an attack id, that attack alone',
    higherIsBetter: true,
    list: (v) => [
      ...(v.robustness?.worstCase.map((w) => ({ args: [w.norm, w.epsilon], value: w.robustAccuracy })) ?? []),
      ...(v.robustness?.points.map((p) => ({ args: [p.norm, p.epsilon, p.attack], value: p.robustAccuracy })) ?? []),
    ],
  },
  {
    name: 'certifiedAccuracy',
    forms: [['method', 'eps']],
    description: 'certified accuracy of a certification method at radius ε',
    higherIsBetter: true,
    list: (v) => v.certified?.points.map((p) => ({ args: [p.method, p.epsilon], value: p.certifiedAccuracy })) ?? [],
  },
  { name: 'mCE', forms: [[]], description: 'mean corruption error relative to the baseline model (1 = as good as the baseline)', higherIsBetter: false, list: (v) => one(v.corruption?.mCE) },
  { name: 'relativeMCE', forms: [[]], description: 'relative mCE (degradation from clean, relative to the baseline)', higherIsBetter: false, list: (v) => one(v.corruption?.relativeMCE) },
  {
    name: 'corruptionAccuracy',
    forms: [[], ['corruption']],
    description: 'mean accuracy over the corruptions (identity excluded); with a corruption id, its mean over severities',
    higherIsBetter: true,
    list: (v) => [...one(v.corruption?.meanAccuracy), ...(v.corruption?.corruptionMeans.map((c) => ({ args: [c.corruption], value: c.meanAccuracy })) ?? [])],
  },
  { name: 'corruptionError', forms: [[]], description: 'mean error over the corruptions', higherIsBetter: false, list: (v) => one(v.corruption?.meanError) },
  {
    name: 'oodAuroc',
    forms: [['set'], ['set', 'score']],
    description: 'OOD detection AUROC against an OOD set (primary score, msp by default; or the named score)',
    higherIsBetter: true,
    list: (v) => [
      ...unique(v.ood?.entries.map((e) => e.set) ?? []).flatMap((set) => {
        const e = primaryOod(v, set);
        return e ? [{ args: [set], value: e.auroc }] : [];
      }),
      ...(v.ood?.entries.map((e) => ({ args: [e.set, e.score], value: e.auroc })) ?? []),
    ],
  },
  {
    name: 'oodFpr95',
    forms: [['set'], ['set', 'score']],
    description: 'false positive rate at 95% true positive rate of OOD detection',
    higherIsBetter: false,
    list: (v) => [
      ...unique(v.ood?.entries.map((e) => e.set) ?? []).flatMap((set) => {
        const e = primaryOod(v, set);
        return e && e.fprAt95Tpr !== null ? [{ args: [set], value: e.fprAt95Tpr }] : [];
      }),
      ...(v.ood?.entries.flatMap((e) => (e.fprAt95Tpr === null ? [] : [{ args: [e.set, e.score], value: e.fprAt95Tpr }])) ?? []),
    ],
  },
  { name: 'ece', forms: [[]], description: 'expected calibration error of the raw model', higherIsBetter: false, list: (v) => one(v.calibration?.ece) },
  { name: 'eceCalibrated', forms: [[]], description: 'ECE after temperature scaling', higherIsBetter: false, list: (v) => one(v.calibration?.calibratedEce) },
  { name: 'mce', forms: [[]], description: 'maximum calibration error', higherIsBetter: false, list: (v) => one(v.calibration?.mce) },
  { name: 'brier', forms: [[]], description: 'multi-class Brier score', higherIsBetter: false, list: (v) => one(v.calibration?.brier) },
  { name: 'nll', forms: [[]], description: 'negative log-likelihood', higherIsBetter: false, list: (v) => one(v.calibration?.nll) },
  {
    name: 'flipProbability',
    forms: [[], ['sequence']],
    description: 'perturbation stability: mean flip probability, or that of one sequence',
    higherIsBetter: false,
    list: (v) => [...one(v.stability?.meanFlipProbability), ...(v.stability?.sequences.map((s) => ({ args: [s.sequence], value: s.flipProbability })) ?? [])],
  },
  { name: 'mFR', forms: [[]], description: 'mean flip rate relative to the baseline', higherIsBetter: false, list: (v) => one(v.stability?.mFR) },
  {
    name: 'sensitivityMaxAccuracyDrop',
    forms: [[]],
    description: 'sensitivity analysis: the largest accuracy drop from perturbing one feature or occluding one patch',
    higherIsBetter: false,
    list: (v) => one(v.sensitivity ? Math.max(0, ...v.sensitivity.ranking.map((r) => r.accuracyDrop)) : null),
  },
  {
    name: 'parameterFlipRate',
    forms: [[]],
    description: 'parameter variability: mean pairwise prediction flip rate between retrained models',
    higherIsBetter: false,
    list: (v) => one(v.sensitivity?.parameters?.meanPairwiseFlipRate),
  },
  {
    name: 'saliencySimilarity',
    forms: [['method', 'variant']],
    description: 'explanations: mean similarity of a variant\'s saliency maps (adversarial, corrupted) to the clean ones',
    higherIsBetter: true,
    list: (v) =>
      v.explanations?.similarity.flatMap((s) => (s.meanSimilarityToClean === null ? [] : [{ args: [s.method, s.variant], value: s.meanSimilarityToClean }])) ?? [],
  },
  { name: 'warnings', forms: [[]], description: 'number of warnings in the result', higherIsBetter: false, list: (v) => [{ args: [], value: v.warnings.length }] },
];

export function metricDefinition(name: string): MetricDefinition | undefined {
  return metricCatalog.find((m) => m.name === name) ?? metricCatalog.find((m) => m.name.toLowerCase() === name.toLowerCase());
}

export function formatArg(arg: string | number): string {
  return typeof arg === 'number' ? String(arg) : arg;
}

export function metricPath(name: string, args: readonly (string | number)[]): string {
  return args.length ? `${name}[${args.map(formatArg).join(',')}]` : name;
}

/** Every metric value a result has, with its canonical path. */
export function listMetricValues(view: ReportView): MetricValue[] {
  const out: MetricValue[] = [];
  const seen = new Set<string>();
  for (const m of metricCatalog) {
    for (const { args, value } of m.list(view)) {
      const path = metricPath(m.name, args);
      if (seen.has(path)) continue;
      seen.add(path);
      out.push({ path, name: m.name, args, value });
    }
  }
  return out;
}

function argMatches(given: string, actual: string | number): boolean {
  if (typeof actual === 'number') {
    const n = Number(given);
    return given.trim() !== '' && Number.isFinite(n) && Math.abs(n - actual) <= 1e-9 * Math.max(1, Math.abs(actual));
  }
  return given.trim().toLowerCase() === actual.toLowerCase();
}

/** The value at a metric path, or the reason it is not there (unknown name, wrong arity, not measured). */
export function lookupMetric(view: ReportView, name: string, args: readonly string[]): { value: MetricValue } | { error: string } {
  const definition = metricDefinition(name);
  if (!definition) return { error: `unknown metric "${name}"; known metrics: ${metricCatalog.map((m) => m.name).join(', ')} (see docs/report.md)` };
  if (!definition.forms.some((f) => f.length === args.length)) {
    const forms = definition.forms.map((f) => metricPath(definition.name, f)).join(' or ');
    return { error: `${metricPath(definition.name, args)} has ${args.length} argument(s); write ${forms}` };
  }
  const candidates = definition.list(view).filter((c) => c.args.length === args.length);
  const hit = candidates.find((c) => c.args.every((a, i) => argMatches(args[i], a)));
  if (hit) return { value: { path: metricPath(definition.name, hit.args), name: definition.name, args: hit.args, value: hit.value } };
  // Suggest the values that share the given names (same norm, same set, ...) first.
  const related = candidates.filter((c) => c.args.every((a, i) => typeof a === 'number' || argMatches(args[i], a)));
  const available = (related.length ? related : candidates).map((c) => metricPath(definition.name, c.args));
  return {
    error: available.length
      ? `${metricPath(definition.name, args)} is not in the results; available: ${available.slice(0, 12).join(', ')}${available.length > 12 ? ', …' : ''}`
      : `${metricPath(definition.name, args)} is not in the results (the result has no ${definition.name} section, or it was skipped)`,
  };
}
