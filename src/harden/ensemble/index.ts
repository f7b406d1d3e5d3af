/** Ensembles: voting (soft/hard) and stacking as a Model, bagging, SAMME boosting, stacking training, save/load. */
export { VotingEnsemble } from './voting.js';
export type { VotingOptions } from './voting.js';
export { sammeStep, weightedResample } from './samme.js';
export type { SammeStep } from './samme.js';
export { trainBagging, trainBoosting, trainStacking, StackedEnsemble, fitSoftmaxRegression, subset } from './train.js';
export type { MemberTrainer, BoostingResult, StackingResult } from './train.js';
export { saveEnsemble, loadEnsemble } from './export.js';
export type { EnsembleManifest, SaveEnsembleOptions, SavedEnsemble } from './export.js';
