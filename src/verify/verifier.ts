/**
 * `verifyProperty`: the complete verifier's front door. Decides a VNN-LIB property (the unsafe set) on a dense
 * ReLU network: `unsat` (the property holds), `sat` with a counterexample, or `unknown` / `timeout`.
 *
 * Engines: `bab` (CROWN + branch and bound, ./bab.ts), `milp` (HiGHS big-M MILP, ./milp.ts) and `smt` (z3,
 * ./smt.ts) decide one (box, output conjunction) pair at a time; `auto` is `bab`. The verifier owns trust: every
 * `sat` answer is re-checked here, independently of the engine that found it — the input must lie in the case's
 * box within 1e-6 and one output conjunction must hold by the exact Float64 forward pass (margin ≤ 1e-9 after
 * moving the point into the box) AND by an ONNX Runtime forward pass of the original model within 1e-4. A point
 * that fails is never reported: the verdict becomes `unknown`.
 *
 * @example
 * const extracted = loadReluNetwork('net.onnx');
 * const verdict = await verifyProperty(extracted, parseVnnlib(text), { timeoutMs: 116_000 });
 */
import { z } from 'zod';
import { RampartError } from '../errors.js';
import { createOrtRunner } from '../engine/onnx/index.js';
import type { CaseEngine, Counterexample, PropertyCase, ReluNetwork, Verdict, VerificationProperty } from './problem.js';
import { babCase } from './bab.js';
import { conjunctionMargin } from './falsify.js';
import { forwardRelu } from './interval.js';
import type { ExtractedNetwork } from './network.js';

export const verifyOptionsSchema = z
  .object({
    engine: z.enum(['auto', 'bab', 'milp', 'smt']).default('auto'),
    timeoutMs: z.number().positive().default(116_000),
    seed: z.number().int().min(0).default(0),
    /** Branching of the bab engine: 'auto' = input splitting for ≤ 16 inputs, ReLU splitting otherwise. */
    branching: z.enum(['auto', 'input', 'relu']).default('auto'),
  })
  .strict();
export type VerifyOptions = z.input<typeof verifyOptionsSchema>;

/** Tolerances of the independent counterexample check. */
export const BOX_TOLERANCE = 1e-6;
export const ORT_TOLERANCE = 1e-4;

export interface VerifyResult {
  readonly verdict: Verdict;
  readonly seconds: number;
  /** Domains bounded by branch and bound (0 for other engines). */
  readonly domains: number;
  /** How the counterexample was checked, when `sat`. */
  readonly check?: { readonly float64Margin: number; readonly ortMargin?: number };
}

function isExtracted(n: ReluNetwork | ExtractedNetwork): n is ExtractedNetwork {
  return 'network' in n;
}

/** Loads a solver engine lazily: its module (and solver wasm) only when asked for. */
async function solverEngine(name: 'milp' | 'smt'): Promise<CaseEngine> {
  const specifier = `./${name}.js`;
  try {
    const mod = (await import(specifier)) as Record<string, unknown>;
    const engine = mod[`${name}Engine`];
    if (typeof engine !== 'function') throw new Error(`${specifier} has no ${name}Engine export`);
    return engine as CaseEngine;
  } catch (e) {
    throw new RampartError('BAD_OPTION', `the ${name} engine is not available in this build (${(e as Error).message}); use --engine bab.`);
  }
}

/** Is x a counterexample of `pcase` by the exact Float64 forward pass? Returns the margin (≤ 0 ⇒ yes) or +∞. */
function float64Check(network: ReluNetwork, pcase: PropertyCase, x: Float64Array): number {
  for (let t = 0; t < x.length; t++) {
    if (!(x[t] >= pcase.box.lower[t] - BOX_TOLERANCE && x[t] <= pcase.box.upper[t] + BOX_TOLERANCE)) return Infinity;
  }
  const y = forwardRelu(network, x);
  let best = Infinity;
  for (const conjunction of pcase.outputs) best = Math.min(best, conjunctionMargin(conjunction, y));
  return best;
}

export async function verifyProperty(
  model: ReluNetwork | ExtractedNetwork,
  property: VerificationProperty,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const parsed = verifyOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `verifyProperty options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`);
  }
  const settings = parsed.data;
  const network = isExtracted(model) ? model.network : model;
  if (property.inputSize !== network.inputSize || property.outputSize !== network.outputSize) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `the property declares ${property.inputSize} inputs and ${property.outputSize} outputs but the network has ${network.inputSize} and ${network.outputSize}; pair the .vnnlib with its own network.`,
    );
  }
  const started = performance.now();
  const deadline = started + settings.timeoutMs;
  const elapsed = () => (performance.now() - started) / 1000;
  const engine = settings.engine === 'milp' || settings.engine === 'smt' ? await solverEngine(settings.engine) : undefined;

  let domains = 0;
  let undecided: Verdict | undefined;
  for (const [caseIndex, pcase] of property.cases.entries()) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) return { verdict: { status: 'timeout', reason: `the ${settings.timeoutMs} ms budget ran out before case ${caseIndex + 1} of ${property.cases.length}` }, seconds: elapsed(), domains };
    let verdict: Verdict;
    if (!engine) {
      const result = babCase(network, pcase, {
        timeoutMs: remaining,
        seed: settings.seed + caseIndex,
        branching: settings.branching,
        accept: (x) => float64Check(network, pcase, x) <= 0,
      });
      domains += result.stats.domains;
      verdict = result.verdict;
    } else {
      verdict = { status: 'unsat' };
      for (const conjunction of pcase.outputs) {
        const left = deadline - performance.now();
        if (left <= 0) {
          verdict = { status: 'timeout', reason: `the ${settings.timeoutMs} ms budget ran out` };
          break;
        }
        const v = await engine(network, pcase.box, conjunction, { timeoutMs: left, seed: settings.seed + caseIndex });
        if (v.status === 'sat') {
          verdict = v;
          break;
        }
        if (v.status !== 'unsat') verdict = v;
      }
    }
    if (verdict.status === 'sat') {
      const checked = await checkCounterexample(model, pcase, verdict.counterexample);
      if (checked.ok) return { verdict: { status: 'sat', counterexample: checked.counterexample }, seconds: elapsed(), domains, check: checked.check };
      undecided = { status: 'unknown', reason: `a candidate counterexample failed the independent check (${checked.why})` };
      continue;
    }
    if (verdict.status !== 'unsat') undecided ??= verdict;
  }
  return { verdict: undecided ?? { status: 'unsat' }, seconds: elapsed(), domains };
}

type CheckOutcome =
  | { ok: true; counterexample: Counterexample; check: { float64Margin: number; ortMargin?: number } }
  | { ok: false; why: string };

/** The independent check of a counterexample: box, exact forward pass, and ONNX Runtime when the model has bytes. */
export async function checkCounterexample(model: ReluNetwork | ExtractedNetwork, pcase: PropertyCase, candidate: Counterexample): Promise<CheckOutcome> {
  const network = isExtracted(model) ? model.network : model;
  const x = Float64Array.from(candidate.input);
  for (let t = 0; t < x.length; t++) {
    if (!(x[t] >= pcase.box.lower[t] - BOX_TOLERANCE && x[t] <= pcase.box.upper[t] + BOX_TOLERANCE)) {
      return { ok: false, why: `X_${t} = ${x[t]} lies outside [${pcase.box.lower[t]}, ${pcase.box.upper[t]}]` };
    }
    x[t] = Math.min(Math.max(x[t], pcase.box.lower[t]), pcase.box.upper[t]);
  }
  const float64Margin = float64Check(network, pcase, x);
  if (!(float64Margin <= 1e-9)) return { ok: false, why: `the Float64 forward pass misses the unsafe set by ${float64Margin}` };
  const output = forwardRelu(network, x);
  if (!isExtracted(model)) return { ok: true, counterexample: { input: x, output }, check: { float64Margin } };
  const ortOutput = await ortForward(model, x);
  let ortMargin = Infinity;
  for (const conjunction of pcase.outputs) ortMargin = Math.min(ortMargin, conjunctionMargin(conjunction, ortOutput));
  if (!(ortMargin <= ORT_TOLERANCE)) return { ok: false, why: `ONNX Runtime's output misses the unsafe set by ${ortMargin}` };
  return { ok: true, counterexample: { input: x, output }, check: { float64Margin, ortMargin } };
}

/** One ONNX Runtime forward pass of the original model (float32) at x. */
export async function ortForward(model: ExtractedNetwork, x: Float64Array): Promise<Float64Array> {
  return (await ortForwardBatch(model, [x]))[0];
}

/** ONNX Runtime forward passes at several points with one session. */
export async function ortForwardBatch(model: ExtractedNetwork, points: readonly Float64Array[]): Promise<Float64Array[]> {
  const fixedBatch = model.inputDims[0];
  const runner = await createOrtRunner(model.bytes, {
    inputName: model.inputName,
    outputName: model.outputName,
    sampleDims: model.inputDims.slice(1),
    fixedBatch: fixedBatch > 0 ? fixedBatch : undefined,
    source: model.source,
  });
  try {
    const size = model.network.inputSize;
    const feed = new Float32Array(points.length * size);
    points.forEach((x, i) => feed.set(x, i * size));
    const { values, perSample } = await runner.run(feed, points.length);
    return points.map((_, i) => Float64Array.from(values.subarray(i * perSample, i * perSample + model.network.outputSize)));
  } finally {
    await runner.release();
  }
}
