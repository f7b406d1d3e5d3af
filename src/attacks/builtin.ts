/** Fills the attack registry: one line per attack (the only place attacks are registered). */
import { AttackRegistry } from './registry.js';
import { fgsm } from './fgsm.js';
import { bim } from './bim.js';
import { pgd } from './pgd.js';
import { apgdCe } from './apgd-ce.js';
import { apgdDlr } from './apgd-dlr.js';
import { apgdT } from './apgd-t.js';
import { cwL2, cwLinf } from './carlini-wagner.js';
import { deepfool } from './deepfool.js';
import { jsma } from './jsma.js';
import { hopSkipJump } from './hop-skip-jump.js';
import { boundary } from './boundary.js';
import { square } from './square.js';

export const attackRegistry = new AttackRegistry();
attackRegistry.register(fgsm);
attackRegistry.register(bim);
attackRegistry.register(pgd);
attackRegistry.register(apgdCe);
attackRegistry.register(apgdDlr);
attackRegistry.register(apgdT);
attackRegistry.register(cwL2);
attackRegistry.register(cwLinf);
attackRegistry.register(deepfool);
attackRegistry.register(jsma);
attackRegistry.register(hopSkipJump);
attackRegistry.register(square);
attackRegistry.register(boundary);
