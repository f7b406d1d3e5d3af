/**
 * Snapshot validation: should a candidate model replace the champion? Both models are measured on the same
 * holdout data with the same seeds — clean accuracy, accuracy under a small set of corruptions, OOD detection
 * AUROC, robust accuracy under an attack at a policy ε, ECE — and every policy check is judged against its
 * absolute threshold and against the champion (TFX Evaluator blessing / MLflow MetricThreshold semantics, see
 * snapshot-policy.ts). The candidate is *blessed* when every check passes. The blessing record carries each
 * value, threshold and outcome, both models' sha256, the policy, a timestamp and the tool version.
 *
 * Measurement reuses the library: `collectLogits` (accuracy, ECE), `corruptAll` (corruptions, seeded per
 * corruption), `oodScores` + `detectionMetrics` (AUROC), `runAttacks` (the trusted attack harness; robust
 * accuracy re-verified by an independent forward pass).
 *
 * @example
 * const record = await validateSnapshot({ candidate: 'm2/model.json', champion: 'builtin:mnist-cnn', data: 'mnist:test', policy });
 * record.blessed; // false when any check fails
 */
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import type { Model } from '../engine/model.js';
import { createRandom } from '../engine/random.js';
import { openDataset } from '../data/index.js';
import { loadAll, type LoadedData } from '../data/load-all.js';
import { argmaxRows, checkDataFitsModel } from '../metrics/accuracy.js';
import { calibrationMetrics, collectLogits } from '../metrics/calibration.js';
import { corruptAll } from '../metrics/corruption-benchmark.js';
import { detectionMetrics, oodScores, syntheticOod } from '../metrics/ood.js';
import { corruptionRegistry } from '../corruptions/builtin.js';
import { attackOptionKeys, runAttacks } from '../attacks/harness.js';
import { attackRegistry } from '../attacks/builtin.js';
import type { Dataset } from '../data/dataset.js';
import { RampartError } from '../errors.js';
import { toolVersion } from './result.js';
import { higherIsBetterByMetric, type PolicyCheck, type SnapshotPolicy } from './snapshot-policy.js';

export type CriterionOutcome = 'pass' | 'fail' | 'not evaluated';

export interface CheckRecord {
  name: string;
  metric: PolicyCheck['metric'];
  /** What was measured and how (corruptions, attack, ε, samples, ...). */
  parameters: Record<string, unknown>;
  greaterIsBetter: boolean;
  candidate: number;
  champion: number | null;
  /** candidate − champion (null without a champion). */
  absoluteChange: number | null;
  /** (candidate − champion) / |champion| (null without a champion or when the champion's value is 0). */
  relativeChange: number | null;
  thresholds: { threshold: number | null; minAbsoluteChange: number | null; minRelativeChange: number | null };
  outcomes: { threshold: CriterionOutcome; minAbsoluteChange: CriterionOutcome; minRelativeChange: CriterionOutcome };
  passed: boolean;
}

export interface ModelIdentity {
  spec: string;
  format: string;
  sha256: string;
}

export interface BlessingRecord {
  schemaVersion: 1;
  kind: 'rampart-blessing';
  blessed: boolean;
  /** ISO 8601 UTC. */
  timestamp: string;
  tool: { name: 'rampart'; version: string };
  candidate: ModelIdentity;
  champion: ModelIdentity | null;
  data: { spec: string; count: number };
  policy: { source: string; resolved: SnapshotPolicy };
  semantics: string;
  checks: CheckRecord[];
  timing: { seconds: number };
}

export const blessingSemantics =
  'blessed = every check passes; a check passes when each criterion it sets passes: threshold (candidate ≥ threshold, or ≤ for lower-is-better), minAbsoluteChange (improvement over the champion in the better direction ≥ it; negative tolerates a regression), minRelativeChange (improvement / |champion| ≥ it); change criteria are not evaluated without a champion (TFX / MLflow threshold semantics)';

export interface ValidateSnapshotOptions {
  candidate: string;
  champion?: string;
  data: string;
  policy: SnapshotPolicy;
  policySource?: string;
  layout?: 'auto' | 'nchw' | 'nhwc';
  onProgress?: (note: string) => void;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

function accuracyOf(logits: { values: Float32Array; rows: number; cols: number }, labels: Int32Array): number {
  const predicted = argmaxRows(logits.values, logits.rows, logits.cols);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return labels.length ? right / labels.length : 0;
}

/** First n samples of loaded data. */
function head(data: LoadedData, n: number): LoadedData {
  const count = Math.min(n, data.count);
  const size = data.x.length / Math.max(data.count, 1);
  return { ...data, x: data.x.subarray(0, count * size), y: data.y.subarray(0, count), count };
}

/** Inputs shared by both models, so the comparison is on identical data (built once, lazily). */
class SharedInputs {
  private corrupted = new Map<string, Float32Array>();
  private ood = new Map<string, { x: Float32Array; count: number }>();
  constructor(
    readonly data: LoadedData,
    readonly seed: number,
  ) {}

  corruptedSet(id: string, severity: number, count: number): LoadedData {
    const key = `${id}#${severity}#${count}`;
    const base = head(this.data, count);
    if (!this.corrupted.has(key)) this.corrupted.set(key, corruptAll(corruptionRegistry.get(id), base, severity, this.seed));
    return { ...base, x: this.corrupted.get(key)! };
  }

  async oodSet(set: string, count: number, model: Model): Promise<{ x: Float32Array; count: number }> {
    const key = `${set}#${count}`;
    if (!this.ood.has(key)) {
      if (set === 'noise' || set === 'uniform') {
        this.ood.set(key, { x: syntheticOod(set, count, this.data.sampleShape, createRandom(this.seed), model.bounds), count });
      } else {
        const dataset = await openDataset(set, { limit: count });
        checkDataFitsModel(model, dataset);
        const loaded = await loadAll(dataset);
        this.ood.set(key, { x: loaded.x, count: loaded.count });
      }
    }
    return this.ood.get(key)!;
  }
}

interface Measured {
  value: number;
  parameters: Record<string, unknown>;
}

async function measure(model: Model, check: PolicyCheck, policy: SnapshotPolicy, inputs: SharedInputs, dataset: (n: number) => Promise<Dataset>): Promise<Measured> {
  const n = Math.min(check.samples ?? policy.samples, inputs.data.count);
  const data = head(inputs.data, n);
  switch (check.metric) {
    case 'accuracy': {
      const logits = await collectLogits(model, data.x, data.count, data.sampleShape, policy.batchSize);
      return { value: accuracyOf(logits, data.y), parameters: { samples: data.count } };
    }
    case 'ece': {
      const logits = await collectLogits(model, data.x, data.count, data.sampleShape, policy.batchSize);
      return { value: calibrationMetrics(logits, data.y, 1, check.bins).ece, parameters: { samples: data.count, bins: check.bins } };
    }
    case 'corruptionAccuracy': {
      const accuracies: number[] = [];
      for (const id of check.corruptions) {
        const corrupted = inputs.corruptedSet(id, check.severity, n);
        const logits = await collectLogits(model, corrupted.x, corrupted.count, corrupted.sampleShape, policy.batchSize);
        accuracies.push(accuracyOf(logits, corrupted.y));
      }
      return { value: mean(accuracies), parameters: { samples: data.count, corruptions: check.corruptions, severity: check.severity, perCorruption: Object.fromEntries(check.corruptions.map((id, i) => [id, accuracies[i]])) } };
    }
    case 'oodAuroc': {
      const ood = await inputs.oodSet(check.set, n, model);
      const inScores = await oodScores(model, data.x, data.count, [check.score], data.sampleShape);
      const outScores = await oodScores(model, ood.x, ood.count, [check.score], data.sampleShape);
      const a = inScores.scores[check.score];
      const b = outScores.scores[check.score];
      if (!a || !b) throw new RampartError('BAD_OPTION', `OOD score ${check.score} is not available for ${model.id}; choose msp, max-logit or energy.`);
      return { value: detectionMetrics(a, b).auroc, parameters: { samples: data.count, oodSamples: ood.count, set: check.set, score: check.score } };
    }
    case 'robustAccuracy': {
      const report = await runAttacks({ model, data: await dataset(n), attacks: [{ id: check.attack, options: attackOptionKeys(attackRegistry.get(check.attack)).includes('steps') ? { steps: check.steps } : {} }], norm: check.norm, epsilons: [check.epsilon], seed: policy.seed });
      return {
        value: report.worstCase[0].robustAccuracy,
        parameters: { samples: report.clean.count, attack: check.attack, norm: check.norm, epsilon: check.epsilon, steps: check.steps, verifier: report.verifier.kind },
      };
    }
  }
}

/** Judges one check: absolute threshold and change thresholds against the champion (see snapshot-policy.ts). */
export function judgeCheck(check: PolicyCheck, candidate: number, champion: number | null): Pick<CheckRecord, 'absoluteChange' | 'relativeChange' | 'outcomes' | 'passed' | 'greaterIsBetter' | 'thresholds'> {
  const greaterIsBetter = check.greaterIsBetter ?? higherIsBetterByMetric[check.metric];
  const sign = greaterIsBetter ? 1 : -1;
  const absoluteChange = champion === null ? null : candidate - champion;
  const relativeChange = champion === null || champion === 0 ? null : (candidate - champion) / Math.abs(champion);
  const outcome = (set: number | undefined, ok: () => boolean | null): CriterionOutcome => {
    if (set === undefined) return 'not evaluated';
    const result = ok();
    return result === null ? 'not evaluated' : result ? 'pass' : 'fail';
  };
  // Tiny slack for float rounding of fractions (e.g. 0.95 stored as 0.9500000000000001).
  const slack = 1e-12;
  const outcomes = {
    threshold: outcome(check.threshold, () => sign * (candidate - check.threshold!) >= -slack),
    minAbsoluteChange: outcome(check.minAbsoluteChange, () => (absoluteChange === null ? null : sign * absoluteChange >= check.minAbsoluteChange! - slack)),
    minRelativeChange: outcome(check.minRelativeChange, () => (relativeChange === null ? null : sign * relativeChange >= check.minRelativeChange! - slack)),
  };
  const passed = Object.values(outcomes).every((o) => o !== 'fail');
  return {
    greaterIsBetter,
    absoluteChange,
    relativeChange,
    thresholds: { threshold: check.threshold ?? null, minAbsoluteChange: check.minAbsoluteChange ?? null, minRelativeChange: check.minRelativeChange ?? null },
    outcomes,
    passed,
  };
}

/** Measures both models under the policy and writes the verdict; never throws for a failing check. */
export async function validateSnapshot(options: ValidateSnapshotOptions): Promise<BlessingRecord> {
  const started = performance.now();
  const { policy } = options;
  const progress = options.onProgress ?? (() => undefined);
  const candidateResolved = resolveModelSpec(options.candidate);
  const championResolved = options.champion ? resolveModelSpec(options.champion) : undefined;
  const needed = Math.max(policy.samples, ...policy.checks.map((c) => c.samples ?? policy.samples));
  const holdout = await openDataset(options.data, { limit: needed });
  const data = await loadAll(holdout);
  const inputs = new SharedInputs(data, policy.seed);
  const datasets = new Map<number, Dataset>();
  const datasetOf = async (n: number) => {
    if (!datasets.has(n)) datasets.set(n, await openDataset(options.data, { limit: n }));
    return datasets.get(n)!;
  };

  const measureAll = async (spec: string, role: string) => {
    const model = await loadModel(spec, { layout: options.layout ?? 'auto' });
    try {
      checkDataFitsModel(model, holdout);
      const out: Measured[] = [];
      for (const check of policy.checks) {
        progress(`${role}: ${check.name ?? check.metric}`);
        out.push(await measure(model, check, policy, inputs, datasetOf));
      }
      return { model: { spec, format: model.format as string }, measured: out };
    } finally {
      model.dispose();
    }
  };
  const candidate = await measureAll(options.candidate, 'candidate');
  const champion = options.champion ? await measureAll(options.champion, 'champion') : undefined;

  const checks: CheckRecord[] = policy.checks.map((check, k) => {
    const c = candidate.measured[k];
    const b = champion ? champion.measured[k].value : null;
    return { name: check.name ?? check.metric, metric: check.metric, parameters: c.parameters, candidate: c.value, champion: b, ...judgeCheck(check, c.value, b) };
  });
  return {
    schemaVersion: 1,
    kind: 'rampart-blessing',
    blessed: checks.every((c) => c.passed),
    timestamp: new Date().toISOString(),
    tool: { name: 'rampart', version: toolVersion() },
    candidate: { ...candidate.model, sha256: modelSha256(candidateResolved) },
    champion: champion && championResolved ? { ...champion.model, sha256: modelSha256(championResolved) } : null,
    data: { spec: holdout.spec, count: data.count },
    policy: { source: options.policySource ?? 'policy', resolved: policy },
    semantics: blessingSemantics,
    checks,
    timing: { seconds: (performance.now() - started) / 1000 },
  };
}

const fmt = (v: number | null, signed = false) => (v === null ? '–' : `${signed && v > 0 ? '+' : ''}${v.toFixed(4)}`);

/** A readable table of a blessing record. */
export function formatBlessing(record: BlessingRecord): string {
  const lines = [
    `candidate  ${record.candidate.spec} (sha256 ${record.candidate.sha256.slice(0, 12)}…)`,
    `champion   ${record.champion ? `${record.champion.spec} (sha256 ${record.champion.sha256.slice(0, 12)}…)` : 'none (absolute thresholds only)'}`,
    `data       ${record.data.spec} (${record.data.count} samples)`,
    '',
  ];
  const criteria = (c: CheckRecord) =>
    [
      c.thresholds.threshold !== null ? `${c.greaterIsBetter ? '≥' : '≤'} ${c.thresholds.threshold} ${c.outcomes.threshold}` : '',
      c.thresholds.minAbsoluteChange !== null ? `Δ ≥ ${c.thresholds.minAbsoluteChange} ${c.outcomes.minAbsoluteChange}` : '',
      c.thresholds.minRelativeChange !== null ? `Δ% ≥ ${c.thresholds.minRelativeChange} ${c.outcomes.minRelativeChange}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  const rows = [['check', 'candidate', 'champion', 'change', 'criteria', 'result'], ...record.checks.map((c) => [c.name, fmt(c.candidate), fmt(c.champion), fmt(c.absoluteChange, true), criteria(c), c.passed ? 'PASS' : 'FAIL'])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    lines.push(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
    if (k === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  lines.push('', record.blessed ? 'BLESSED: the candidate passes every check' : `NOT BLESSED: ${record.checks.filter((c) => !c.passed).map((c) => c.name).join(', ')} failed`, `time       ${record.timing.seconds.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}
