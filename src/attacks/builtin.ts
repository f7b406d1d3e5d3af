/** Fills the attack registry: one line per attack (the only place attacks are registered). */
import { AttackRegistry } from './registry.js';

export const attackRegistry = new AttackRegistry();
// attackRegistry.register(fgsm); ...
