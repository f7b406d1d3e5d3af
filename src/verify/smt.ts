/**
 * Complete SMT engine: the ReLU network, the input box and the output conjunction as one formula of linear real
 * arithmetic, decided by Z3 (`z3-solver`, Z3 compiled to WebAssembly). Every Float64 weight, bias and bound is
 * converted to the exact rational it denotes, so Z3 reasons about the Float64 network exactly; `unsat` is a proof
 * for the real-valued network with those weights.
 *
 * Papers: Katz, Barrett, Dill, Julian & Kochenderfer, "Reluplex: An Efficient SMT Solver for Verifying Deep Neural
 * Networks", CAV 2017, https://arxiv.org/abs/1702.01135 (the encoding idea: ReLUs as case splits over linear
 * arithmetic); de Moura & Bjørner, "Z3: An Efficient SMT Solver", TACAS 2008.
 *
 * Encoding per hidden neuron with (widened, sound) interval bounds [l, u] on its pre-activation z:
 * u ≤ 0 → activation 0; l ≥ 0 → activation z; otherwise a fresh real a with l ≤ z ≤ u, 0 ≤ a ≤ u, a ≥ z and
 * (a = z ∧ z ≥ 0) ∨ (a = 0 ∧ z ≤ 0). The redundant a ≥ 0, a ≥ z, bounds give Z3's simplex the triangle-free
 * part of the relaxation up front. A model is a rational point; it is rounded to Float64, clamped into the box and
 * re-checked with `forwardRelu`. If rounding breaks a constraint that held with zero slack, Z3 is asked again for
 * a point with margin 1e-6·(1 + |rhs|) (push/pop); if that also fails the answer is `unknown`, never `sat`.
 *
 * Threads: `init()` starts Emscripten worker threads (Z3's `check` runs on one). Node only exits once they are
 * terminated: call `shutdownSmt()` (which awaits z3-solver's `killThreads(em)`) when done — the CLI and tests
 * do. The runtime is loaded once per process; after `shutdownSmt()` the next call loads it again. After a check
 * that timed out the engine itself replaces the instance (a cancelled check can leave Z3's wasm state corrupt).
 * Timeout: Z3's `timeout` solver parameter (ms); `unknown` with reason "timeout"/"canceled" maps to `timeout`.
 *
 * @example
 * const verdict = await smtEngine(net, box, conjunction, { timeoutMs: 10_000 });
 * await shutdownSmt();
 */
import { z } from 'zod';
import { init, killThreads } from 'z3-solver';
import type { Arith, Bool, Context, Model } from 'z3-solver';
import { RampartError } from '../errors.js';
import { intervalBounds, type LayerBounds } from './interval.js';
import { lpTightenBounds } from './lp.js';
import type { CaseEngine, Counterexample, EngineOptions, InputBox, OutputConjunction, ReluNetwork, Verdict } from './problem.js';
import { widenLower, widenUpper } from './encode-network.js';
import { acceptCounterexample, checkCaseShapes } from './encode-witness.js';
import { intervalRefutes, sampleForCounterexample } from './milp.js';

type Z3Name = 'rampart';
type Z3Context = Context<Z3Name>;
interface Z3Runtime {
  readonly context: Z3Context;
  readonly em: unknown;
}

let runtimePromise: Promise<Z3Runtime> | undefined;

function loadZ3(): Promise<Z3Runtime> {
  runtimePromise ??= init()
    .then((api) => ({ context: api.Context('rampart' as Z3Name), em: api.em as unknown }))
    .catch((error: unknown) => {
      runtimePromise = undefined;
      throw new RampartError('BACKEND', `Could not start the Z3 WebAssembly solver (${String(error)}); it needs Node with SharedArrayBuffer and worker threads.`);
    });
  return runtimePromise;
}

/** Terminates Z3's worker threads so the process can exit. Safe to call when Z3 was never loaded. */
export async function shutdownSmt(): Promise<void> {
  const pending = runtimePromise;
  runtimePromise = undefined;
  if (!pending) return;
  const runtime = await pending.catch(() => undefined);
  if (runtime) await killThreads(runtime.em);
}

export const smtOptionsSchema = z
  .object({
    /** Seeded random samples tried before Z3, after the box centre; 0 leaves everything to Z3. */
    samples: z.number().int().min(0).max(100_000).default(32),
    /** Bounds that decide stable neurons and bound every pre-activation: interval, or tightened by the triangle LP. */
    bounds: z.enum(['interval', 'lp']).default('lp'),
    /** Fraction of the time budget the LP tightening may use when bounds = 'lp'. */
    boundsBudget: z.number().min(0).max(1).default(0.3),
    /** SMT-LIB logic Z3 is told to use (QF_LRA selects its linear real arithmetic tactic). */
    logic: z.enum(['QF_LRA', 'ALL']).default('QF_LRA'),
    /** Margin asked for when a zero-slack Z3 model does not survive rounding to Float64. */
    repairMargin: z.number().positive().default(1e-6),
  })
  .strict();
export type SmtOptions = z.infer<typeof smtOptionsSchema>;

/** The exact rational value of a finite double, as numerator/denominator bigints. */
export function doubleToRational(value: number): { numerator: bigint; denominator: bigint } {
  if (!Number.isFinite(value)) throw new RampartError('NON_FINITE_INPUT', `SMT encoding: ${value} is not a finite number; check the network weights and the property.`);
  let scaled = value;
  let exponent = 0;
  // Multiplying by 2 is exact for doubles; at most 1074 steps reach an integer.
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    exponent++;
  }
  return { numerator: BigInt(scaled), denominator: 1n << BigInt(exponent) };
}

/** The double nearest to numerator/denominator (correctly rounded for normal doubles; subnormals may round twice). */
export function rationalToDouble(numerator: bigint, denominator: bigint): number {
  if (denominator === 0n) return NaN;
  const negative = numerator < 0n !== denominator < 0n;
  let n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  // Scale so the integer quotient has 64+ significant bits, then one rounding in Number().
  const shift = Math.max(0, 64 - (n.toString(2).length - d.toString(2).length));
  n <<= BigInt(shift);
  const quotient = n / d;
  const remainder = n % d;
  // Sticky bit keeps round-to-nearest correct.
  const q = (quotient << 1n) | (remainder === 0n ? 0n : 1n);
  // Divide by 2^(shift+1) in exact power-of-two steps (a single 2^k would overflow for tiny values).
  let result = Number(q);
  for (let e = shift + 1; e > 0; e -= 1000) result /= 2 ** Math.min(e, 1000);
  return negative ? -result : result;
}

function parseOptions(options: unknown): SmtOptions {
  const parsed = smtOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `SMT engine options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

interface SmtEncoding {
  readonly inputs: Arith<Z3Name>[];
  readonly outputs: Arith<Z3Name>[];
  readonly assertions: Bool<Z3Name>[];
}

function encodeSmt(ctx: Z3Context, network: ReluNetwork, box: InputBox, bounds: readonly LayerBounds[], prefix: string): SmtEncoding {
  const rational = (v: number): Arith<Z3Name> => ctx.Real.val(doubleToRational(v));
  const assertions: Bool<Z3Name>[] = [];
  const inputs = Array.from({ length: network.inputSize }, (_, i) => ctx.Real.const(`${prefix}x${i}`));
  inputs.forEach((x, i) => assertions.push(x.ge(rational(box.lower[i])), x.le(rational(box.upper[i]))));
  // Activation of the previous layer: an expression, or null for the constant 0.
  let activations: (Arith<Z3Name> | null)[] = inputs;
  let outputs: Arith<Z3Name>[] = [];
  network.layers.forEach((layer, l) => {
    const hidden = l < network.layers.length - 1;
    const next: (Arith<Z3Name> | null)[] = [];
    const pre: Arith<Z3Name>[] = [];
    for (let row = 0; row < layer.outSize; row++) {
      const terms: Arith<Z3Name>[] = [];
      for (let col = 0; col < layer.inSize; col++) {
        const w = layer.weights[row * layer.inSize + col];
        const a = activations[col];
        if (w !== 0 && a !== null) terms.push(a.mul(rational(w)));
      }
      const z = ctx.Real.const(`${prefix}z${l}_${row}`);
      const affine = terms.length === 0 ? rational(layer.bias[row]) : ctx.Sum(rational(layer.bias[row]), ...terms);
      assertions.push(z.eq(affine));
      pre.push(z);
      const lower = widenLower(bounds[l].lower[row]);
      const upper = widenUpper(bounds[l].upper[row]);
      // Redundant but sound bounds let Z3 refute by bound propagation before any case split.
      assertions.push(z.ge(rational(lower)), z.le(rational(upper)));
      if (!hidden) continue;
      if (upper <= 0) {
        next.push(null);
        continue;
      }
      if (lower >= 0) {
        next.push(z);
        continue;
      }
      const a = ctx.Real.const(`${prefix}a${l}_${row}`);
      assertions.push(a.ge(0), a.ge(z), a.le(rational(upper)));
      assertions.push(ctx.Or(ctx.And(a.eq(z), z.ge(0)), ctx.And(a.eq(0), z.le(0))));
      next.push(a);
    }
    activations = next;
    outputs = pre;
  });
  return { inputs, outputs, assertions };
}

function constraintTerm(ctx: Z3Context, outputs: Arith<Z3Name>[], coefficients: Float64Array): Arith<Z3Name> {
  const terms: Arith<Z3Name>[] = [];
  coefficients.forEach((c, j) => {
    if (c !== 0) terms.push(outputs[j].mul(ctx.Real.val(doubleToRational(c))));
  });
  return terms.length === 0 ? ctx.Real.val(0) : terms.length === 1 ? terms[0] : ctx.Sum(terms[0], ...terms.slice(1));
}

function modelPoint(ctx: Z3Context, model: Model<Z3Name>, inputs: Arith<Z3Name>[]): Float64Array {
  return Float64Array.from(inputs, (x) => {
    const value = model.eval(x, true);
    if (!ctx.isRealVal(value) && !ctx.isIntVal(value)) return NaN;
    if (ctx.isIntVal(value)) return Number(value.value());
    const { numerator, denominator } = value.value();
    return rationalToDouble(numerator, denominator);
  });
}

let callCounter = 0;

/** An SMT engine with the given options (validated by `smtOptionsSchema`). */
export function createSmtEngine(options: Partial<SmtOptions> = {}): CaseEngine {
  const settings = parseOptions(options);
  return async (network: ReluNetwork, box: InputBox, conjunction: OutputConjunction, engineOptions: EngineOptions): Promise<Verdict> => {
    const deadline = performance.now() + engineOptions.timeoutMs;
    checkCaseShapes('SMT engine', network, box, conjunction);
    const sampled = sampleForCounterexample(network, box, conjunction, settings.samples, engineOptions.seed ?? 0);
    if (sampled) return { status: 'sat', counterexample: sampled };
    let bounds = intervalBounds(network, box);
    if (intervalRefutes(bounds[bounds.length - 1], conjunction)) return { status: 'unsat' };
    if (settings.bounds === 'lp') {
      bounds = await lpTightenBounds(network, box, bounds, { timeoutMs: settings.boundsBudget * engineOptions.timeoutMs });
      if (intervalRefutes(bounds[bounds.length - 1], conjunction)) return { status: 'unsat' };
    }
    const { context: ctx } = await loadZ3();
    const encoding = encodeSmt(ctx, network, box, bounds, `c${callCounter++}_`);
    const solver = new ctx.Solver(settings.logic === 'ALL' ? undefined : settings.logic);
    solver.add(...encoding.assertions);
    const rowTerms = conjunction.constraints.map((c) => constraintTerm(ctx, encoding.outputs, c.coefficients));
    conjunction.constraints.forEach((c, k) => solver.add(rowTerms[k].le(ctx.Real.val(doubleToRational(c.rhs)))));
    const check = async (): Promise<'sat' | 'unsat' | 'timeout' | 'unknown'> => {
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0) return 'timeout';
      solver.set('timeout', remaining);
      const answer = await solver.check();
      if (answer !== 'unknown') return answer;
      const reason = solver.reasonUnknown();
      return /timeout|canceled|cancelled/i.test(reason) || performance.now() >= deadline ? 'timeout' : 'unknown';
    };
    const first = await check();
    if (first === 'unsat') return { status: 'unsat' };
    if (first === 'timeout' || first === 'unknown') {
      const reason = solver.reasonUnknown();
      // A check cancelled by its timeout can leave this Z3 instance corrupt (a later check crashed in a worker
      // with "null function or function signature mismatch"); start a fresh instance for the next call.
      await shutdownSmt().catch(() => undefined);
      return first === 'timeout' ? { status: 'timeout', reason: `SMT: Z3 reached the ${engineOptions.timeoutMs} ms time limit` } : { status: 'unknown', reason: `SMT: Z3 answered unknown (${reason})` };
    }
    const candidate: Counterexample | undefined = acceptCounterexample(network, box, conjunction, modelPoint(ctx, solver.model(), encoding.inputs));
    if (candidate) return { status: 'sat', counterexample: candidate };
    // Repair: ask for slack in every constraint so that rounding to Float64 cannot break it.
    solver.push();
    conjunction.constraints.forEach((c, k) => {
      const margin = settings.repairMargin * (1 + Math.abs(c.rhs));
      solver.add(rowTerms[k].le(ctx.Real.val(doubleToRational(c.rhs - margin))));
    });
    const second = await check();
    if (second === 'timeout' || second === 'unknown') {
      await shutdownSmt().catch(() => undefined);
      return { status: second, reason: `SMT: Z3's model does not survive rounding to Float64 and the margin re-check ended ${second}` };
    }
    const repaired = second === 'sat' ? acceptCounterexample(network, box, conjunction, modelPoint(ctx, solver.model(), encoding.inputs)) : undefined;
    solver.pop();
    if (repaired) return { status: 'sat', counterexample: repaired };
    return { status: 'unknown', reason: `SMT: Z3's model does not satisfy the property after rounding to Float64 and no point with margin ${settings.repairMargin} was found (${second})` };
  };
}

/** The SMT engine with default options. Call `shutdownSmt()` before the process should exit. */
export const smtEngine: CaseEngine = createSmtEngine();
