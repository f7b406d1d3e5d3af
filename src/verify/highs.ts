/**
 * HiGHS (the `highs` package: the HiGHS LP/MIP solver compiled to WebAssembly) behind a small, typed surface for
 * the verification back ends: a linear model builder, a CPLEX LP-format writer, and a solve that maps HiGHS's
 * model status onto four outcomes the callers can reason about soundly.
 *
 * Paper: Huangfu & Hall, "Parallelizing the dual revised simplex method", Math. Prog. Comp. 10, 2018,
 * https://doi.org/10.1007/s12532-017-0130-5 (the simplex in HiGHS); https://highs.dev.
 *
 * How models reach the solver: every model is written as CPLEX LP text (`toCplexLp`) and read into a persistent
 * HiGHS instance (`highs.createModel({ format: 'lp', data })`), the same parser `highs.solve(lpText)` uses. The
 * persistent instance is kept so that the many LPs of bound tightening (same constraints, a new objective each
 * time) are re-solved warm from the previous basis instead of re-parsed; `solveOnce` is the one-shot form.
 *
 * Numerical care (the tolerances every caller must respect):
 * - HiGHS accepts a point when every row and bound is met within `primal_feasibility_tolerance` (1e-7 here,
 *   HiGHS's default) and an integer variable within `mip_feasibility_tolerance` (1e-6 by default). A reported
 *   solution is therefore a HINT: callers re-check it in Float64 (the MILP engine re-runs the network forward).
 * - An optimal LP objective is accurate to about `dual_feasibility_tolerance` (1e-7) times the size of the dual
 *   values; callers that turn an optimum into a bound widen it (see `lp.ts`, `SAFETY_MARGIN`).
 * - Coefficients are written with JavaScript's shortest round-trip form (`String(x)`), so the LP text carries
 *   every Float64 bit; |values| ≥ 1e20 mean infinity to HiGHS and are rejected by the writer.
 * - `time_limit` is in seconds of solver wall time per `run`; a time-limited run is never read as an answer.
 *
 * @example
 * const highs = await loadHighs();
 * const model = new LinearModel();
 * const x = model.addVariable(-1, 2);
 * model.addConstraint([{ variable: x, coefficient: 1 }], 0.5, Infinity);
 * model.setObjective([{ variable: x, coefficient: 1 }], 'minimize');
 * solveOnce(highs, model, { timeLimitSeconds: 1 }); // { status: 'optimal', objective: 0.5, values: [0.5] }
 */
import loadHighsModule from 'highs';
import type { Highs, Model as HighsModel } from 'highs';
import { RampartError } from '../errors.js';

/** One term coefficient·variable of a linear expression. */
export interface LinearTerm {
  readonly variable: number;
  readonly coefficient: number;
}

interface VariableSpec {
  readonly lower: number;
  readonly upper: number;
  readonly integer: boolean;
}

interface ConstraintSpec {
  readonly terms: readonly LinearTerm[];
  readonly lower: number;
  readonly upper: number;
}

export type ObjectiveSense = 'minimize' | 'maximize';

/** HiGHS treats magnitudes at or above this as infinite (option `infinite_bound`). */
const HIGHS_INFINITY = 1e20;

/** A linear (or mixed-integer linear) model under construction; variables are numbered from 0. */
export class LinearModel {
  readonly variables: VariableSpec[] = [];
  readonly constraints: ConstraintSpec[] = [];
  objective: readonly LinearTerm[] = [];
  sense: ObjectiveSense = 'minimize';

  /** Adds a variable with bounds (±Infinity for none); returns its index. */
  addVariable(lower: number, upper: number, integer = false): number {
    if (Number.isNaN(lower) || Number.isNaN(upper) || lower > upper) {
      throw new RampartError('INTERNAL', `LinearModel.addVariable: bounds [${lower}, ${upper}] are not an interval; the caller computed inconsistent bounds.`);
    }
    this.variables.push({ lower, upper, integer });
    return this.variables.length - 1;
  }

  /** Adds lower ≤ Σ terms ≤ upper (use ±Infinity for a one-sided row, lower = upper for an equality). */
  addConstraint(terms: readonly LinearTerm[], lower: number, upper: number): void {
    if (Number.isNaN(lower) || Number.isNaN(upper) || lower > upper) {
      throw new RampartError('INTERNAL', `LinearModel.addConstraint: row bounds [${lower}, ${upper}] are not an interval.`);
    }
    this.constraints.push({ terms: mergeTerms(terms), lower, upper });
  }

  setObjective(terms: readonly LinearTerm[], sense: ObjectiveSense): void {
    this.objective = mergeTerms(terms);
    this.sense = sense;
  }

  get hasIntegers(): boolean {
    return this.variables.some((v) => v.integer);
  }
}

/** Sums duplicate variables and drops exact zeros (HiGHS rejects duplicate entries in one row). */
function mergeTerms(terms: readonly LinearTerm[]): LinearTerm[] {
  const sums = new Map<number, number>();
  for (const { variable, coefficient } of terms) {
    if (!Number.isFinite(coefficient)) {
      throw new RampartError('NON_FINITE_INPUT', `LinearModel: coefficient ${coefficient} of variable ${variable} is not finite; check the network weights for NaN/Infinity.`);
    }
    sums.set(variable, (sums.get(variable) ?? 0) + coefficient);
  }
  const merged: LinearTerm[] = [];
  for (const [variable, coefficient] of sums) if (coefficient !== 0) merged.push({ variable, coefficient });
  return merged;
}

function variableName(index: number): string {
  return `v${index}`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Math.abs(value) >= HIGHS_INFINITY) {
    throw new RampartError('NON_FINITE_INPUT', `toCplexLp: ${value} cannot be written as a finite LP coefficient (HiGHS treats |x| ≥ 1e20 as infinite); rescale the network or the input box.`);
  }
  return String(value);
}

function writeExpression(terms: readonly LinearTerm[], lines: string[], head: string): void {
  // Short lines: the LP format allows a row to continue over several lines.
  let line = head;
  let count = 0;
  for (const { variable, coefficient } of terms) {
    const sign = coefficient < 0 ? '-' : '+';
    line += ` ${sign} ${formatNumber(Math.abs(coefficient))} ${variableName(variable)}`;
    if (++count % 8 === 0) {
      lines.push(line);
      line = ' ';
    }
  }
  if (terms.length === 0) line += ' 0 v0';
  lines.push(line);
}

/**
 * The model in CPLEX LP format. Every variable appears (with coefficient 0 if need be) in the objective so that
 * HiGHS numbers the columns in our order; ranged rows are written as two rows.
 */
export function toCplexLp(model: LinearModel): string {
  if (model.variables.length === 0) throw new RampartError('INTERNAL', 'toCplexLp: a model needs at least one variable.');
  const lines: string[] = [model.sense === 'minimize' ? 'Minimize' : 'Maximize'];
  const objective = new Map(model.objective.map((t) => [t.variable, t.coefficient]));
  const allTerms: LinearTerm[] = model.variables.map((_, variable) => ({ variable, coefficient: objective.get(variable) ?? 0 }));
  // Zero objective entries still declare the column (keeps the numbering); write them as "+ 0 vK".
  let line = ' obj:';
  allTerms.forEach(({ variable, coefficient }, k) => {
    const sign = coefficient < 0 ? '-' : '+';
    line += ` ${sign} ${formatNumber(Math.abs(coefficient))} ${variableName(variable)}`;
    if ((k + 1) % 8 === 0) {
      lines.push(line);
      line = ' ';
    }
  });
  lines.push(line);
  lines.push('Subject To');
  let rowIndex = 0;
  for (const row of model.constraints) {
    const terms = row.terms;
    if (row.lower === row.upper) {
      writeExpression(terms, lines, ` r${rowIndex++}:`);
      lines.push(`  = ${formatNumber(row.upper)}`);
      continue;
    }
    if (row.lower > -Infinity) {
      writeExpression(terms, lines, ` r${rowIndex++}:`);
      lines.push(`  >= ${formatNumber(row.lower)}`);
    }
    if (row.upper < Infinity) {
      writeExpression(terms, lines, ` r${rowIndex++}:`);
      lines.push(`  <= ${formatNumber(row.upper)}`);
    }
  }
  lines.push('Bounds');
  model.variables.forEach((v, index) => {
    const name = variableName(index);
    if (v.lower === -Infinity && v.upper === Infinity) lines.push(` ${name} free`);
    else if (v.lower === -Infinity) lines.push(` -inf <= ${name} <= ${formatNumber(v.upper)}`);
    else if (v.upper === Infinity) lines.push(` ${name} >= ${formatNumber(v.lower)}`);
    else lines.push(` ${formatNumber(v.lower)} <= ${name} <= ${formatNumber(v.upper)}`);
  });
  const integers = model.variables.flatMap((v, index) => (v.integer ? [variableName(index)] : []));
  if (integers.length > 0) {
    lines.push('Generals');
    for (let k = 0; k < integers.length; k += 10) lines.push(` ${integers.slice(k, k + 10).join(' ')}`);
  }
  lines.push('End');
  return lines.join('\n');
}

/** For each row of `toCplexLp`'s output, the LinearModel constraint it came from (ranges give two rows). */
export function cplexRowOwners(model: LinearModel): number[] {
  const owners: number[] = [];
  model.constraints.forEach((row, k) => {
    if (row.lower === row.upper) owners.push(k);
    else {
      if (row.lower > -Infinity) owners.push(k);
      if (row.upper < Infinity) owners.push(k);
    }
  });
  return owners;
}

/**
 * A rigorous lower bound on min Σ objective over the model's LP region from ANY multipliers λ (one per
 * constraint), by weak duality: c·x = λ·(Ax) + (c − Aᵀλ)·x ≥ Σ_k λ_k·(row bound on the side λ_k points to) +
 * Σ_j min over [l_j, u_j] of (c − Aᵀλ)_j·x_j. It does not trust the solver's optimum or its tolerances — a poor
 * λ only gives a looser bound (Neumaier & Shcherbina, "Safe bounds in linear and mixed-integer linear
 * programming", Math. Prog. 99, 2004). Multipliers pointing at an infinite row side are dropped. The Float64
 * sum is lowered by 1e-12 of its absolute mass to cover rounding. Returns -Infinity if no finite bound follows.
 */
export function dualObjectiveBound(model: LinearModel, objective: readonly LinearTerm[], multipliers: Float64Array): number {
  const reduced = new Float64Array(model.variables.length);
  for (const { variable, coefficient } of objective) reduced[variable] += coefficient;
  let bound = 0;
  let mass = 0;
  model.constraints.forEach((row, k) => {
    const lambda = multipliers[k];
    if (!lambda || !Number.isFinite(lambda)) return;
    const side = lambda > 0 ? row.lower : row.upper;
    if (!Number.isFinite(side)) return;
    bound += lambda * side;
    mass += Math.abs(lambda * side);
    for (const { variable, coefficient } of row.terms) reduced[variable] -= lambda * coefficient;
  });
  for (let j = 0; j < reduced.length; j++) {
    const r = reduced[j];
    if (r === 0) continue;
    const limit = r > 0 ? model.variables[j].lower : model.variables[j].upper;
    if (!Number.isFinite(limit)) return -Infinity;
    bound += r * limit;
    mass += Math.abs(r * limit);
  }
  return bound - 1e-12 * mass - Number.MIN_VALUE;
}

let highsPromise: Promise<Highs> | undefined;

/** The HiGHS runtime, instantiated once per process (≈50 ms) and shared by every solve. */
export function loadHighs(): Promise<Highs> {
  highsPromise ??= (loadHighsModule as unknown as () => Promise<Highs>)().catch((error: unknown) => {
    highsPromise = undefined;
    throw new RampartError('BACKEND', `Could not load the HiGHS WebAssembly solver (${String(error)}); reinstall the 'highs' dependency.`);
  });
  return highsPromise;
}

/**
 * What a solve established. `optimal`: values are a (tolerance-)feasible optimum; `infeasible`: HiGHS proved there
 * is no feasible point; `feasible`: a limit stopped the solve but a feasible incumbent exists (MIP); `limit`:
 * stopped by time/iteration limit with nothing usable; `failed`: anything else (numerical trouble, unbounded,
 * unknown) — callers must treat it as "no information".
 */
export type SolveStatus = 'optimal' | 'infeasible' | 'feasible' | 'limit' | 'unbounded' | 'failed';

export interface SolveResult {
  readonly status: SolveStatus;
  /** Objective of the returned point (defined for optimal/feasible). */
  readonly objective: number;
  /** Column values in model order (defined for optimal/feasible). */
  readonly values?: Float64Array;
  /** HiGHS's model status code, for diagnostics. */
  readonly modelStatus: number;
  /** For a MIP: the proven bound on the optimum (mip_dual_bound), when HiGHS reports one. */
  readonly dualBound?: number;
  /** Row duals of an LP optimum, one per model constraint (LinearModel order). */
  readonly constraintDuals?: Float64Array;
}

export interface SolveSettings {
  /** Wall-clock limit of this run in seconds (HiGHS `time_limit`). */
  readonly timeLimitSeconds: number;
  /** HiGHS presolve; 'choose' (default) lets HiGHS decide. Re-solves with a new objective are faster without. */
  readonly presolve?: 'on' | 'off' | 'choose';
  /** HiGHS simplex_strategy: 0 choose (default), 1 serial dual, 4 primal. */
  readonly simplexStrategy?: 0 | 1 | 4;
}

/** Default tolerances, stated explicitly so the documentation and the solver cannot drift apart. */
export const HIGHS_TOLERANCES = {
  primal_feasibility_tolerance: 1e-7,
  dual_feasibility_tolerance: 1e-7,
  mip_feasibility_tolerance: 1e-6,
} as const;

/** A HiGHS instance holding one model, re-solvable with new objectives or bounds (warm start). Dispose it. */
export class PersistentLinearModel {
  private readonly model: HighsModel;
  readonly numVariables: number;
  private readonly numConstraints: number;
  private readonly rowOwners: number[];
  private readonly hasIntegers: boolean;
  private sense: ObjectiveSense;
  private disposed = false;

  constructor(
    private readonly highs: Highs,
    linear: LinearModel,
  ) {
    this.numVariables = linear.variables.length;
    this.numConstraints = linear.constraints.length;
    this.rowOwners = cplexRowOwners(linear);
    this.hasIntegers = linear.hasIntegers;
    this.sense = linear.sense;
    this.model = highs.createModel({ format: 'lp', data: toCplexLp(linear) });
    try {
      this.model.options.set({ output_flag: false, ...HIGHS_TOLERANCES });
      const dims = this.model.getDimensions();
      if (dims.numCols !== this.numVariables) {
        throw new RampartError('INTERNAL', `HiGHS read ${dims.numCols} columns from an LP with ${this.numVariables} variables; the LP writer and reader disagree.`);
      }
      for (const probe of [0, this.numVariables - 1]) {
        if (this.model.getColName(probe) !== variableName(probe)) {
          throw new RampartError('INTERNAL', `HiGHS numbered column ${probe} as ${this.model.getColName(probe)}; the LP writer's column order was not kept.`);
        }
      }
    } catch (error) {
      this.model.dispose();
      throw error;
    }
  }

  /** Replaces the objective (all other costs 0) and its sense. */
  setObjective(terms: readonly LinearTerm[], sense: ObjectiveSense): void {
    const costs = new Float64Array(this.numVariables);
    for (const { variable, coefficient } of terms) costs[variable] += coefficient;
    this.model.changeColsCost({ kind: 'range', from: 0, to: this.numVariables - 1 }, costs);
    // Changing the sense invalidates HiGHS's solver state (no warm start); only do it when it changes.
    if (sense !== this.sense) {
      this.model.changeObjectiveSense(sense === 'minimize' ? this.highs.constants.objectiveSense.minimize : this.highs.constants.objectiveSense.maximize);
      this.sense = sense;
    }
  }

  setVariableBounds(variable: number, lower: number, upper: number): void {
    this.model.changeColBounds(variable, lower === -Infinity ? -this.highs.infinity : lower, upper === Infinity ? this.highs.infinity : upper);
  }

  solve(settings: SolveSettings): SolveResult {
    this.model.options.set({ time_limit: Math.max(settings.timeLimitSeconds, 1e-3), presolve: settings.presolve ?? 'choose', simplex_strategy: settings.simplexStrategy ?? 0 });
    let modelStatus: number;
    try {
      modelStatus = this.model.run().modelStatus;
    } catch {
      // A native error (e.g. numerical breakdown) is "no information", never an answer.
      return { status: 'failed', objective: NaN, modelStatus: -1 };
    }
    const result = readResult(this.highs, this.model, modelStatus);
    if (result.status !== 'optimal' || this.hasIntegers) return result;
    try {
      const rowDual = this.model.getSolution().rowDual;
      const duals = new Float64Array(this.rowOwners.length === 0 ? 0 : this.numConstraints);
      // A constraint written as two rows (a range) gets the sum of their duals.
      this.rowOwners.forEach((owner, row) => {
        duals[owner] += rowDual[row];
      });
      return { ...result, constraintDuals: duals };
    } catch {
      return result;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

function readResult(highs: Highs, model: HighsModel, modelStatus: number): SolveResult {
  const codes = highs.constants.modelStatus;
  const dualBound = safeInfo(model, 'mip_dual_bound');
  const base = { modelStatus, ...(dualBound === undefined ? {} : { dualBound }) };
  if (modelStatus === codes.infeasible) return { status: 'infeasible', objective: NaN, ...base };
  if (modelStatus === codes.unbounded) return { status: 'unbounded', objective: NaN, ...base };
  // primal_solution_status 2 = a feasible primal point is available (also after a MIP hit its time limit).
  const hasPoint = safeInfo(model, 'primal_solution_status') === highs.constants.solutionStatus.feasible;
  const readPoint = (): { values: Float64Array; objective: number } | undefined => {
    const values = model.getSolution().colValue;
    const objective = model.getObjectiveValue();
    if (!Number.isFinite(objective) || values.some((v) => !Number.isFinite(v))) return undefined;
    return { values: Float64Array.from(values), objective };
  };
  if (modelStatus === codes.optimal && hasPoint) {
    const point = readPoint();
    return point ? { status: 'optimal', ...point, ...base } : { status: 'failed', objective: NaN, ...base };
  }
  const limited = [codes.timeLimit, codes.iterationLimit, codes.objectiveBound, codes.objectiveTarget, codes.solutionLimit, codes.interrupted] as number[];
  if (limited.includes(modelStatus)) {
    if (hasPoint) {
      const point = readPoint();
      if (point) return { status: 'feasible', ...point, ...base };
    }
    return { status: 'limit', objective: NaN, ...base };
  }
  return { status: 'failed', objective: NaN, ...base };
}

function safeInfo(model: HighsModel, name: string): number | undefined {
  try {
    const value = model.info.get(name);
    const n = typeof value === 'bigint' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Writes, solves and disposes one model (the MILP engine's path). */
export function solveOnce(highs: Highs, linear: LinearModel, settings: SolveSettings): SolveResult {
  let persistent: PersistentLinearModel | undefined;
  try {
    persistent = new PersistentLinearModel(highs, linear);
    persistent.setObjective(linear.objective, linear.sense);
    return persistent.solve(settings);
  } catch (error) {
    if (error instanceof RampartError && error.code !== 'INTERNAL') throw error;
    return { status: 'failed', objective: NaN, modelStatus: -1 };
  } finally {
    persistent?.dispose();
  }
}
