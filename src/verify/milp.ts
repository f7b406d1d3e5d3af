/**
 * Complete MILP engine: decides one (input box, output conjunction) case exactly with HiGHS's branch and cut on
 * the big-M encoding of the ReLU network (one binary per unstable neuron, big-M from the pre-activation bounds,
 * stable neurons linear; see encode-network.ts).
 *
 * Paper: Tjeng, Xiao & Tedrake, "Evaluating Robustness of Neural Networks with Mixed Integer Programming", ICLR
 * 2019, https://arxiv.org/abs/1711.07356.
 *
 * The model maximises a margin t ∈ [0, marginCap] subject to c_k·y + t ≤ rhs_k + δ_k for every constraint k
 * (δ_k = 1e-7·(1 + |rhs_k|), HiGHS's primal tolerance): HiGHS proving it infeasible means no input in the box
 * reaches the unsafe set even relaxed by δ (→ `unsat`); a solution with a positive margin is a counterexample that
 * survives solver tolerances. Every solver point is re-checked with the exact Float64 forward pass; if it fails
 * (integrality tolerance 1e-6 times a big-M can move an output by ~1e-4), the activation pattern of the point is
 * fixed and an LP over that linear region maximises the margin again ("repair"). A point that still fails gives
 * `unknown`, never `sat`. Before the MILP a few seeded samples (box centre, random points) look for a cheap
 * counterexample, and the interval output bounds may already prove `unsat`.
 *
 * Assumptions: dense ReLU network (problem.ts), finite box. Float64 throughout; HiGHS tolerances in highs.ts.
 *
 * @example
 * const verdict = await milpEngine(net, box, { constraints: [{ coefficients: Float64Array.of(1, -1), rhs: 0 }] }, { timeoutMs: 10_000 });
 * verdict.status; // 'unsat' | 'sat' (with counterexample) | 'timeout' | 'unknown'
 */
import { z } from 'zod';
import { RampartError } from '../errors.js';
import { createRandom } from '../engine/random.js';
import { intervalBounds, type LayerBounds } from './interval.js';
import type { CaseEngine, Counterexample, EngineOptions, InputBox, OutputConjunction, ReluNetwork, Verdict } from './problem.js';
import { loadHighs, solveOnce, type LinearTerm } from './highs.js';
import { activationPattern, encodeNetwork, type NetworkEncoding } from './encode-network.js';
import { acceptCounterexample, checkCaseShapes } from './encode-witness.js';
import { lpTightenBounds } from './lp.js';

export const milpOptionsSchema = z
  .object({
    /** Upper end of the margin t the MILP maximises; reaching it stops the search (any t ≥ 0 is a counterexample). */
    marginCap: z.number().positive().default(1e-3),
    /** Seeded random samples tried before the MILP, after the box centre; 0 skips sampling entirely. */
    samples: z.number().int().min(0).max(100_000).default(32),
    /** Pre-activation bounds for big-M: interval arithmetic, or interval tightened by the triangle LP. */
    bounds: z.enum(['interval', 'lp']).default('lp'),
    /** Fraction of the time budget the LP tightening may use when bounds = 'lp'. */
    boundsBudget: z.number().min(0).max(1).default(0.3),
  })
  .strict();
export type MilpOptions = z.infer<typeof milpOptionsSchema>;

/** Relative relaxation of each output constraint in the MILP, matching HiGHS's primal feasibility tolerance. */
export const CONSTRAINT_RELAXATION = 1e-7;

function parseOptions(options: unknown): MilpOptions {
  const parsed = milpOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `MILP engine options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/** Seeded sampling: the box centre and `count` uniform points (nothing when count = 0). */
export function sampleForCounterexample(network: ReluNetwork, box: InputBox, conjunction: OutputConjunction, count: number, seed: number): Counterexample | undefined {
  if (count === 0) return undefined;
  const n = network.inputSize;
  const centre = new Float64Array(n);
  for (let i = 0; i < n; i++) centre[i] = 0.5 * (box.lower[i] + box.upper[i]);
  const found = acceptCounterexample(network, box, conjunction, centre);
  if (found) return found;
  const random = createRandom(seed);
  const point = new Float64Array(n);
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < n; i++) point[i] = box.lower[i] + random.next() * (box.upper[i] - box.lower[i]);
    const hit = acceptCounterexample(network, box, conjunction, point);
    if (hit) return hit;
  }
  return undefined;
}

/** True when interval output bounds alone show some constraint can never hold. */
export function intervalRefutes(outputBounds: LayerBounds, conjunction: OutputConjunction): boolean {
  return conjunction.constraints.some(({ coefficients, rhs }) => {
    let min = 0;
    for (let j = 0; j < coefficients.length; j++) {
      const c = coefficients[j];
      min += c >= 0 ? c * outputBounds.lower[j] : c * outputBounds.upper[j];
    }
    return min > rhs + 1e-9 * (1 + Math.abs(rhs) + Math.abs(min));
  });
}

/** Adds t and the rows c_k·y + t ≤ rhs_k + δ_k; objective: maximise t. Returns t's index. */
function addMarginObjective(encoding: NetworkEncoding, conjunction: OutputConjunction, marginCap: number, relaxation: number): number {
  const t = encoding.model.addVariable(0, marginCap);
  for (const { coefficients, rhs } of conjunction.constraints) {
    const terms: LinearTerm[] = [{ variable: t, coefficient: 1 }];
    coefficients.forEach((c, j) => {
      if (c !== 0) terms.push({ variable: encoding.outputs[j], coefficient: c });
    });
    encoding.model.addConstraint(terms, -Infinity, rhs + relaxation * (1 + Math.abs(rhs)));
  }
  encoding.model.setObjective([{ variable: t, coefficient: 1 }], 'maximize');
  return t;
}

/**
 * Repairs a solver point: fixes the activation pattern (of the point itself, then of the solver's binaries) and
 * maximises the margin over that linear region with an LP; accepts only a Float64-checked point.
 */
async function repairPoint(network: ReluNetwork, box: InputBox, conjunction: OutputConjunction, bounds: readonly LayerBounds[], patterns: boolean[][][], options: MilpOptions, deadline: number): Promise<Counterexample | undefined> {
  const highs = await loadHighs();
  for (const pattern of patterns) {
    const remaining = (deadline - performance.now()) / 1000;
    if (remaining <= 0) return undefined;
    const encoding = encodeNetwork(network, box, bounds, { relaxation: 'pattern', activePattern: pattern });
    addMarginObjective(encoding, conjunction, options.marginCap, 0);
    const result = solveOnce(highs, encoding.model, { timeLimitSeconds: remaining });
    if (result.values === undefined) continue;
    const values = result.values;
    const hit = acceptCounterexample(network, box, conjunction, encoding.inputs.map((v) => values[v]));
    if (hit) return hit;
  }
  return undefined;
}

/** A MILP engine with the given options (validated by `milpOptionsSchema`). */
export function createMilpEngine(options: Partial<MilpOptions> = {}): CaseEngine {
  const settings = parseOptions(options);
  return async (network: ReluNetwork, box: InputBox, conjunction: OutputConjunction, engineOptions: EngineOptions): Promise<Verdict> => {
    const start = performance.now();
    const deadline = start + engineOptions.timeoutMs;
    checkCaseShapes('MILP engine', network, box, conjunction);
    const sampled = sampleForCounterexample(network, box, conjunction, settings.samples, engineOptions.seed ?? 0);
    if (sampled) return { status: 'sat', counterexample: sampled };
    let bounds = intervalBounds(network, box);
    if (intervalRefutes(bounds[bounds.length - 1], conjunction)) return { status: 'unsat' };
    const highs = await loadHighs();
    if (settings.bounds === 'lp') {
      bounds = await lpTightenBounds(network, box, bounds, { timeoutMs: settings.boundsBudget * engineOptions.timeoutMs });
      if (intervalRefutes(bounds[bounds.length - 1], conjunction)) return { status: 'unsat' };
    }
    const encoding = encodeNetwork(network, box, bounds, { relaxation: 'exact' });
    addMarginObjective(encoding, conjunction, settings.marginCap, CONSTRAINT_RELAXATION);
    const remaining = (deadline - performance.now()) / 1000;
    if (remaining <= 0) return { status: 'timeout', reason: `MILP: the ${engineOptions.timeoutMs} ms budget was spent before the solve` };
    const result = solveOnce(highs, encoding.model, { timeLimitSeconds: remaining });
    if (result.status === 'infeasible') return { status: 'unsat' };
    if ((result.status === 'optimal' || result.status === 'feasible') && result.values) {
      const values = result.values;
      const point = Float64Array.from(encoding.inputs, (v) => values[v]);
      const direct = acceptCounterexample(network, box, conjunction, point);
      if (direct) return { status: 'sat', counterexample: direct };
      const solverPattern = encoding.binaries.slice(0, -1).map((layer, l) =>
        layer.map((d, j) => (d >= 0 ? values[d] > 0.5 : bounds[l].lower[j] >= 0)),
      );
      const repaired = await repairPoint(network, box, conjunction, bounds, [activationPattern(network, point), solverPattern], settings, deadline);
      if (repaired) return { status: 'sat', counterexample: repaired };
      return { status: 'unknown', reason: `MILP found a point with margin ${result.objective.toExponential(2)} but neither it nor its LP repair satisfies the property in Float64` };
    }
    if (result.status === 'limit' || performance.now() >= deadline) {
      return { status: 'timeout', reason: `MILP: HiGHS reached the ${engineOptions.timeoutMs} ms time limit` };
    }
    return { status: 'unknown', reason: `MILP: HiGHS ended with model status ${result.modelStatus} (${result.status})` };
  };
}

/** The MILP engine with default options (big-M from LP-tightened bounds, margin cap 1e-3, 32 samples). */
export const milpEngine: CaseEngine = createMilpEngine();
