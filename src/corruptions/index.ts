/** Corruptions: pure, seeded image corruptions with five severities, in a registry (`rampart/corruptions`). */
export {
  type CorruptionContext,
  type CorruptionDefinition,
  type CorruptionFamily,
  type CorruptionSpec,
  type CorruptionSuite,
  type ImageShape,
  type Severity,
  type SeverityTableName,
  type SeverityTables,
  defineCorruption,
  resolutionOf,
} from './define.js';
export { CorruptionRegistry } from './registry.js';
export { corruptionRegistry } from './builtin.js';
export { encodePng, previewGrid } from './preview.js';
