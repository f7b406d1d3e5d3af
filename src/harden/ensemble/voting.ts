/**
 * Voting ensembles as a Rampart `Model`: the class lives in src/engine/ensemble.ts (so `loadModel` can return
 * one without src/engine importing src/harden); re-exported here for the hardening toolkit's users.
 * @example const ensemble = new VotingEnsemble([a, b, c], { voting: 'soft' }); await ensemble.logits(x);
 */
export { VotingEnsemble } from '../../engine/ensemble.js';
export type { VotingOptions } from '../../engine/ensemble.js';
