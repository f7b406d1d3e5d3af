/**
 * Public face of `rampart/attacks`: the attack contract and registry, the built-in attacks, the harness that
 * validates, projects, re-verifies and measures, the worst-case cascade and presets.
 */
export { defineAttack } from './define.js';
export type { AttackDefinition, AnyAttackDefinition, AttackInput, AttackContext, AttackKind, AttackKnowledge, AttackModel } from './define.js';
export { AttackRegistry } from './registry.js';
export { attackRegistry } from './builtin.js';
export {
  runAttacks,
  attackBatch,
  planAttacks,
  createVerifier,
  countingModel,
  invalidProposals,
  attackOptionKeys,
  mixSeed,
  runAttacksOptionsSchema,
  attackRequestSchema,
  TOLERANCE,
} from './harness.js';
export type {
  RunAttacksOptions,
  RunAttacksConfig,
  AttackRequest,
  AttackReport,
  AttackReportEntry,
  AttackEpsilonResult,
  WorstCaseEntry,
  PerturbationSummary,
  AdversarialExamples,
  AttackBatchOptions,
  AttackBatchResult,
  QueryCounts,
  Verifier,
  VerifierKind,
} from './harness.js';
export { attackPresets, attackPresetNames, resolvePreset, worstCaseSuccess, samplesToAttack } from './cascade.js';
export type { AttackPresetName, ResolvedPreset } from './cascade.js';
export { fgsm, fgsmOptions, objectiveFor, objectiveGradient, adversarialRows, gradientLossSchema } from './fgsm.js';
export type { GradientLoss, Objective } from './fgsm.js';
export { bim, bimOptions } from './bim.js';
export { pgd, pgdOptions, iterativeGradientAttack, scheduledStepSize, stepSchedules } from './pgd.js';
export type { PgdOptions, StepSchedule, IterativeSettings } from './pgd.js';
export { apgdCe } from './apgd-ce.js';
export { apgdDlr } from './apgd-dlr.js';
export { apgdT } from './apgd-t.js';
export { apgdOptionsSchema, apgdTargetedOptionsSchema, apgdCheckpoints, shouldHalveStep, runApgd, runApgdTargeted } from './apgd.js';
export type { ApgdOptions, ApgdTargetedOptions, ApgdObjective, ApgdHooks, CheckpointState } from './apgd.js';
export { cwL2, cwL2Options, cwLinf, cwLinfOptions } from './carlini-wagner.js';
export type { CwL2Options, CwLinfOptions } from './carlini-wagner.js';
export { deepfool, deepfoolOptions } from './deepfool.js';
export type { DeepfoolOptions } from './deepfool.js';
export { jsma, jsmaOptions, bestSaliencyPair } from './jsma.js';
export type { JsmaOptions } from './jsma.js';
export { square, squareOptions, squareP, marginLoss } from './square.js';
export { simba, simbaOptions, basisOrder } from './simba.js';
export { hopSkipJump, hopSkipJumpOptions } from './hop-skip-jump.js';
export type { HopSkipJumpOptions } from './hop-skip-jump.js';
export { boundary, boundaryOptions } from './boundary.js';
export type { BoundaryOptions } from './boundary.js';
export { runTransferAttack } from './transfer.js';
export type { TransferAttackOptions, TransferEpsilonResult, TransferReport } from './transfer.js';
