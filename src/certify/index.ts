/** Certified robustness: randomized smoothing (Cohen et al. 2019) and bound propagation. */
export * from './statistics.js';
export * from './noise.js';
export * from './smoothing-classifier.js';
export * from './smoothing.js';
export * from './bounds/index.js';
export * from './ibp.js';
export * from './crown.js';
export * from './alpha-crown.js';
export * from './training-bounds.js';
export * from './certified-accuracy.js';
