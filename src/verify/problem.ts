/**
 * The shared vocabulary of complete verification: a fully connected ReLU network in plain Float64 arrays (the
 * form branch and bound, the LP/MILP and the SMT back ends all consume) and a VNN-LIB property in disjunctive
 * normal form. A property describes the UNSAFE set; `unsat` means it is empty (the safety property holds).
 */

/** One affine layer y = W x + b; `weights` is row-major `outSize × inSize`. */
export interface DenseLayer {
  readonly inSize: number;
  readonly outSize: number;
  readonly weights: Float64Array;
  readonly bias: Float64Array;
}

/** Affine layers with a ReLU after every layer except the last. */
export interface ReluNetwork {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly layers: readonly DenseLayer[];
}

/** An axis-aligned input box, lower ≤ upper element-wise. */
export interface InputBox {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

/** One linear constraint on the outputs: Σ coefficients[j]·Y_j ≤ rhs. */
export interface OutputConstraint {
  readonly coefficients: Float64Array;
  readonly rhs: number;
}

/** A conjunction of output constraints (one disjunct of the output part of a property). */
export interface OutputConjunction {
  readonly constraints: readonly OutputConstraint[];
}

/** One case of the DNF: an input box and a disjunction of output conjunctions. */
export interface PropertyCase {
  readonly box: InputBox;
  readonly outputs: readonly OutputConjunction[];
}

/** A parsed VNN-LIB property: the unsafe set is the union over cases (and over each case's output disjuncts). */
export interface VerificationProperty {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly cases: readonly PropertyCase[];
}

export interface Counterexample {
  readonly input: Float64Array;
  readonly output: Float64Array;
}

/** What every engine answers. `sat` always carries a counterexample that the caller re-checks. */
export type Verdict =
  | { readonly status: 'unsat' }
  | { readonly status: 'sat'; readonly counterexample: Counterexample }
  | { readonly status: 'unknown' | 'timeout'; readonly reason: string };

/** Options every complete engine accepts. */
export interface EngineOptions {
  /** Wall-clock budget in milliseconds for this call. */
  readonly timeoutMs: number;
  /** Seed for any random choice (falsification restarts, tie breaks). */
  readonly seed?: number;
}

/**
 * A complete engine decides one case-disjunct pair: is there x in `box` with every constraint in `conjunction`
 * satisfied by net(x)? `sat` ⇒ counterexample; `unsat` ⇒ proof; otherwise unknown/timeout.
 */
export type CaseEngine = (
  network: ReluNetwork,
  box: InputBox,
  conjunction: OutputConjunction,
  options: EngineOptions,
) => Promise<Verdict>;
