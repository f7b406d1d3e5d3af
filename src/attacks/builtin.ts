/** Fills the attack registry: one line per attack (the only place attacks are registered). */
import { AttackRegistry } from './registry.js';
import { fgsm } from './fgsm.js';
import { bim } from './bim.js';
import { pgd } from './pgd.js';

export const attackRegistry = new AttackRegistry();
attackRegistry.register(fgsm);
attackRegistry.register(bim);
attackRegistry.register(pgd);
