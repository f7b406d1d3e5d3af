/** Complete verification: VNN-LIB properties on dense ReLU networks (CROWN branch and bound, MILP, SMT). */
export type * from './problem.js';
export { intervalBounds, forwardRelu } from './interval.js';
export type { LayerBounds } from './interval.js';
export { parseVnnlib } from './vnnlib.js';
export { loadReluNetwork, extractReluNetwork } from './network.js';
export type { ExtractedNetwork } from './network.js';
export { computeIntermediateBounds, specLowerBounds } from './crown.js';
export type { SplitState, IntermediateBounds, SpecBound, BoundOptions } from './crown.js';
export { babCase } from './bab.js';
export type { BabOptions, BabResult, BabStats } from './bab.js';
export { falsifyBox, conjunctionMargin } from './falsify.js';
export { verifyProperty, verifyOptionsSchema, checkCounterexample, ortForward, ortForwardBatch, BOX_TOLERANCE, ORT_TOLERANCE } from './verifier.js';
export type { VerifyOptions, VerifyResult } from './verifier.js';
export { formatVnncompResult, readInstances, readTruth, runInstances, summarizeRuns, formatSummaryTable, formatResultsCsv } from './vnncomp.js';
export type { Instance, InstanceRun, RunSummary, RunInstancesOptions } from './vnncomp.js';
// Solver back ends (HiGHS LP/MILP, z3 SMT); their wasm loads on first use.
export { milpEngine, createMilpEngine, milpOptionsSchema } from './milp.js';
export type { MilpOptions } from './milp.js';
export { lpTightenBounds, lpMinimise } from './lp.js';
export { smtEngine, createSmtEngine, shutdownSmt, smtOptionsSchema } from './smt.js';
export type { SmtOptions } from './smt.js';
