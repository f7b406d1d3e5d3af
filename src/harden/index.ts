/** Public face of `rampart/harden` (so far: plain training of the reference architectures). */
export { trainClassifier, trainOptionsSchema } from './train.js';
export type { TrainOptions, TrainResult, EpochLog, TrainHooks } from './train.js';
export { buildArchitecture, architectureNames } from './architectures.js';
export type { ArchitectureName } from './architectures.js';
