/** The built-in attribution methods, registered in one place. */
import { ExplainerRegistry } from './define.js';
import { vanillaGradient } from './vanilla-gradient.js';
import { integratedGradients } from './integrated-gradients.js';
import { smoothgrad } from './smoothgrad.js';

export const explainerRegistry = new ExplainerRegistry()
  .register(vanillaGradient)
  .register(integratedGradients)
  .register(smoothgrad);
