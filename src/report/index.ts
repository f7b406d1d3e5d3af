/** The report layer: result envelope, audit results (results.json), robustness card. */
export { toolVersion, type ResultEnvelope } from './result.js';
export * from './audit/results.js';
