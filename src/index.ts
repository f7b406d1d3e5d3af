/** Rampart's library API; each layer is also importable on its own (`rampart/engine`, `rampart/data`, ...). */
export * from './errors.js';
export * from './engine/index.js';
export * from './data/index.js';
export * from './threat/index.js';
export * from './metrics/index.js';
export * from './attacks/index.js';
export * from './corruptions/index.js';
export * from './harden/index.js';
export { toolVersion } from './report/result.js';
export type { ResultEnvelope } from './report/result.js';
