/** Ensembles: voting (soft/hard) and stacking as a Model, bagging, SAMME boosting, stacking training, save/load. */
export { VotingEnsemble } from './voting.js';
export type { VotingOptions } from './voting.js';
export { sammeStep, weightedResample } from './samme.js';
export type { SammeStep } from './samme.js';
export { trainBagging, trainBoosting, trainStacking, StackedEnsemble, fitSoftmaxRegression, subset } from './train.js';
export type { MemberTrainer, BoostingResult, StackingResult } from './train.js';
export { saveEnsemble, loadEnsemble } from './export.js';
export type { EnsembleManifest, SaveEnsembleOptions, SavedEnsemble } from './export.js';
export { runEnsembleTraining, combineEnsemble, ensembleFigures, ensembleDisagreement, disagreementVersusErrors, ensembleTrainingSchema, combineEnsembleSchema, ensembleSha256 } from './run.js';
export type { EnsembleTrainingOptions, EnsembleFigures, EnsembleSummary, EnsembleCallbacks, CombineEnsembleConfig } from './run.js';
