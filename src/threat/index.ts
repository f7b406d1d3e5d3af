/** Public face of `rampart/threat`: the threat-model value and the per-norm operations table. */
export { threatModel, threatModelSchema, goalSchema, norms, targetSelections, untargeted, targeted, isTargeted } from './threat-model.js';
export type { Norm, Goal, TargetSelection, ThreatModel, ThreatModelInput } from './threat-model.js';
export { normOps, projectToThreat, clipToBounds, distances, projectRowsL1, keepTopRows } from './norms.js';
export type { NormOps } from './norms.js';
export { featureConstraints, featureConstraintsSchema, projectToConstraints, constraintViolations } from './feature-constraints.js';
export type { FeatureConstraints, FeatureConstraintsInput, ProjectionLimits, ConstraintViolation } from './feature-constraints.js';
