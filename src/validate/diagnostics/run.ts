/**
 * Runs the registered diagnostics on a model, a few samples and (optionally) a finished attack run, and returns
 * the flags raised plus every check's status and evidence. `diagnoseAttackRun` is the cheap set that every
 * `rampart attack` result and the audit carry; `rampart validate` runs them all, including the active checks.
 *
 * @example
 * const section = await diagnoseAttackRun({ model, data, report });
 * section.flags; // [] for builtin:mnist-cnn with pgd at ε = 0.1 (see docs/validate.md)
 */
import { z } from 'zod';
import type { Model } from '../../engine/model.js';
import type { Dataset } from '../../data/dataset.js';
import type { AttackReport } from '../../attacks/harness.js';
import type { Norm } from '../../threat/threat-model.js';
import { RampartError } from '../../errors.js';
import { arrayDataset } from '../memory-dataset.js';
import type { DiagnosticCheck, DiagnosticContext, DiagnosticFlag, DiagnosticsSection } from './define.js';
import type { DiagnosticRegistry } from './registry.js';
import { diagnosticRegistry } from './builtin.js';

export interface RunDiagnosticsOptions {
  model: Model;
  /** Evaluation data; the first `sampleSize` samples are used. */
  data: Dataset;
  sampleSize?: number;
  report?: AttackReport;
  attack?: { id: string; options?: Record<string, unknown> };
  norm: Norm;
  epsilons: number[];
  seed?: number;
  /** Allow checks to run attacks of their own (default false). */
  active?: boolean;
  /** Run only these diagnostic ids (default: all that fit `active`). */
  only?: string[];
  /** Options per diagnostic id, checked by each diagnostic's schema. */
  options?: Record<string, Record<string, unknown>>;
  registry?: DiagnosticRegistry;
}

/** The first n samples of a dataset, in memory. */
export async function firstSamples(data: Dataset, n: number): Promise<Dataset> {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const count = Math.min(n, data.count);
  const x = new Float32Array(count * size);
  const y = new Int32Array(count);
  if (count > 0) {
    for await (const batch of data.batches(count)) {
      x.set(batch.x.subarray(0, count * size));
      y.set(batch.y.subarray(0, count));
      break;
    }
  }
  return arrayDataset(x, y, data.sampleShape, data.numClasses, `${data.spec} (first ${count})`);
}

export async function runDiagnostics(options: RunDiagnosticsOptions): Promise<DiagnosticsSection> {
  const registry = options.registry ?? diagnosticRegistry;
  const active = options.active ?? false;
  const definitions = options.only ? options.only.map((id) => registry.get(id)) : registry.list().filter((d) => active || d.cost === 'cheap');
  const sample = await firstSamples(options.data, options.sampleSize ?? 16);
  const context: DiagnosticContext = {
    model: options.model,
    sample,
    report: options.report,
    attack: options.attack ? { id: options.attack.id, options: options.attack.options ?? {} } : undefined,
    norm: options.norm,
    epsilons: options.epsilons,
    seed: options.seed ?? 0,
    active,
  };
  const flags: DiagnosticFlag[] = [];
  const checks: DiagnosticCheck[] = [];
  for (const definition of definitions) {
    const parsed = (definition.options as z.ZodTypeAny).safeParse(options.options?.[definition.id] ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i: z.ZodIssue) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
      throw new RampartError('BAD_OPTION', `Diagnostic "${definition.id}": invalid options: ${issues}.`, {});
    }
    const outcome = await definition.check(context, parsed.data);
    if (outcome.status === 'skipped') {
      checks.push({ id: definition.id, status: 'skipped', reason: outcome.reason });
      continue;
    }
    checks.push({ id: definition.id, status: outcome.status, evidence: outcome.evidence });
    if (outcome.status === 'flagged') {
      flags.push({ id: definition.id, title: definition.title, severity: definition.severity, message: `${outcome.detail}. ${definition.remedy}`, evidence: outcome.evidence });
    }
  }
  return { flags, checks, sampleCount: sample.count };
}

/**
 * The cheap diagnostics of an attack run (randomness, softmax output, gradient health on a few samples; the
 * cross-attack checks on the run itself; the random-noise baseline): what `rampart attack` and the audit attach.
 */
export function diagnoseAttackRun(options: { model: Model; data: Dataset; report: AttackReport; seed?: number; sampleSize?: number }): Promise<DiagnosticsSection> {
  return runDiagnostics({
    model: options.model,
    data: options.data,
    report: options.report,
    norm: options.report.threat.norm,
    epsilons: options.report.threat.epsilons,
    seed: options.seed,
    sampleSize: options.sampleSize,
    active: false,
  });
}

/** One line per flag, for printed output. */
export function describeFlags(section: DiagnosticsSection): string[] {
  if (section.flags.length === 0) {
    const ran = section.checks.filter((c) => c.status !== 'skipped').length;
    return [`diagnostics: no flags (${ran} checks on ${section.sampleCount} samples)`];
  }
  return section.flags.map((f) => `diagnostics: [${f.severity}] ${f.id}: ${f.message}`);
}
