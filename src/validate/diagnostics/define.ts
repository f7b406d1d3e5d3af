/**
 * The diagnostic contract: one gradient-masking or sanity check per file (AutoAttack's checks and Carlini et al.
 * 2019's checklist, "On Evaluating Adversarial Robustness", https://arxiv.org/abs/1902.06705). A check looks at a
 * model on a few samples, at a finished attack run, or runs small attacks itself (`cost: 'active'`), and returns
 * an outcome with its evidence numbers; the runner turns a triggered outcome into a flag with the severity and
 * the remedy. A check that lacks what it needs (no report, a black-box model, ...) says so and is skipped.
 */
import type { z } from 'zod';
import type { Model } from '../../engine/model.js';
import type { Dataset } from '../../data/dataset.js';
import type { AttackReport } from '../../attacks/harness.js';
import type { Norm } from '../../threat/threat-model.js';

export type Severity = 'critical' | 'warning' | 'info';

/** cheap: forward/gradient passes on a few samples or the report alone; active: runs attacks of its own. */
export type DiagnosticCost = 'cheap' | 'active';

export type Evidence = Record<string, number | string | boolean | null | number[] | string[]>;

export interface DiagnosticContext {
  model: Model;
  /** A few labelled samples (the first of the evaluation data). */
  sample: Dataset;
  /** A finished attack run, for the cross-attack checks. */
  report?: AttackReport;
  /** The attack under evaluation (id and options, unchanged), for the active checks. */
  attack?: { id: string; options: Record<string, unknown> };
  norm: Norm;
  epsilons: number[];
  seed: number;
  /** Whether checks may run attacks of their own on the sample (the `validate` command); off in `attack` results. */
  active: boolean;
}

export type DiagnosticOutcome =
  | { status: 'flagged'; evidence: Evidence; detail: string }
  | { status: 'clear'; evidence: Evidence }
  | { status: 'skipped'; reason: string };

export interface DiagnosticDefinition<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Stable kebab-case id (appears in JSON and reports). */
  id: string;
  title: string;
  severity: Severity;
  cost: DiagnosticCost;
  /** What to do about it, appended to the flag's message. */
  remedy: string;
  /** Where the check comes from. */
  source: string;
  options: S;
  check(context: DiagnosticContext, options: z.output<S>): Promise<DiagnosticOutcome>;
}

export function defineDiagnostic<S extends z.ZodTypeAny>(definition: DiagnosticDefinition<S>): DiagnosticDefinition<S> {
  return definition;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDiagnosticDefinition = DiagnosticDefinition<any>;

/** A raised flag as results and reports show it. */
export interface DiagnosticFlag {
  id: string;
  title: string;
  severity: Severity;
  /** What was seen and what to do about it. */
  message: string;
  evidence: Evidence;
}

/** One check's entry in a diagnostics section (flagged, clear or skipped). */
export interface DiagnosticCheck {
  id: string;
  status: DiagnosticOutcome['status'];
  evidence?: Evidence;
  reason?: string;
}

export interface DiagnosticsSection {
  flags: DiagnosticFlag[];
  checks: DiagnosticCheck[];
  sampleCount: number;
}
