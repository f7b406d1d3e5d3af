/**
 * The built-in corruptions, in benchmark order: the MNIST-C suite (Mu & Gilmer 2019) and the common
 * corruptions (Hendrycks & Dietterich 2019). `corruptionRegistry.listBySuite('mnist-c' | 'common')`.
 */
import { CorruptionRegistry } from './registry.js';
import { identity } from './identity.js';
import { gaussianNoise } from './gaussian-noise.js';
import { shotNoise } from './shot-noise.js';
import { impulseNoise } from './impulse-noise.js';

export const corruptionRegistry = new CorruptionRegistry()
  .register(identity)
  .register(gaussianNoise)
  .register(shotNoise)
  .register(impulseNoise);
