/** Corruptions: pure, seeded image corruptions with five severities, in a registry. */
export * from './define.js';
export { CorruptionRegistry } from './registry.js';
export { corruptionRegistry } from './builtin.js';
