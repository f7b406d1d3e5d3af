/** Random samplers for the noise corruptions. */
import type { Random } from '../../engine/random.js';

/** Poisson(λ) sample: Knuth's product method below λ = 30, a rounded normal approximation above. */
export function poisson(lambda: number, random: Random): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = random.next();
    while (p > limit) {
      k++;
      p *= random.next();
    }
    return k;
  }
  return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * random.normal()));
}
