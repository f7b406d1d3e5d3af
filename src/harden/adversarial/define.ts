/**
 * Training-time attacks: fast example generators on host arrays through a {@link TrainingEngine} (no
 * re-verification or query counting — the attack harness in src/attacks does that for evaluation; these only
 * need to produce hard examples for the next weight step). One file per attack, registered in builtin.ts.
 */
import type { Random } from '../../engine/random.js';
import type { TrainingEngine } from '../engines/engine.js';

export type TrainingNorm = 'linf' | 'l2';

export interface CraftContext {
  engine: TrainingEngine;
  norm: TrainingNorm;
  epsilon: number;
  bounds: readonly [number, number];
  random: Random;
}

export interface TrainingAttack {
  id: string;
  title: string;
  paper: string;
  /** Adversarial copies of `x` (count samples, model layout) within the ε-ball and the bounds. */
  craft(x: Float32Array, labels: ArrayLike<number>, count: number, context: CraftContext): Promise<Float32Array>;
}

export function defineTrainingAttack(attack: TrainingAttack): TrainingAttack {
  return attack;
}

/** Projects `adv` onto the ε-ball around `x` (per sample) and the bounds, in place. */
export function project(adv: Float32Array, x: Float32Array, count: number, norm: TrainingNorm, epsilon: number, bounds: readonly [number, number]): void {
  const size = x.length / count;
  const [lo, hi] = bounds;
  if (norm === 'linf') {
    for (let i = 0; i < adv.length; i++) {
      const d = Math.min(epsilon, Math.max(-epsilon, adv[i] - x[i]));
      adv[i] = Math.min(hi, Math.max(lo, x[i] + d));
    }
    return;
  }
  for (let n = 0; n < count; n++) {
    let sq = 0;
    for (let i = n * size; i < (n + 1) * size; i++) sq += (adv[i] - x[i]) ** 2;
    const norm2 = Math.sqrt(sq);
    const scale = norm2 > epsilon ? epsilon / norm2 : 1;
    for (let i = n * size; i < (n + 1) * size; i++) adv[i] = Math.min(hi, Math.max(lo, x[i] + (adv[i] - x[i]) * scale));
  }
}

/** adv += α · steepest-ascent direction of `gradient` (sign for L∞, unit-L2 per sample for L2). */
export function ascend(adv: Float32Array, gradient: Float32Array, count: number, norm: TrainingNorm, alpha: number): void {
  if (norm === 'linf') {
    for (let i = 0; i < adv.length; i++) adv[i] += alpha * Math.sign(gradient[i]);
    return;
  }
  const size = adv.length / count;
  for (let n = 0; n < count; n++) {
    let sq = 0;
    for (let i = n * size; i < (n + 1) * size; i++) sq += gradient[i] * gradient[i];
    const scale = alpha / (Math.sqrt(sq) + 1e-12);
    for (let i = n * size; i < (n + 1) * size; i++) adv[i] += scale * gradient[i];
  }
}

/** A uniform random start in the ε-ball (L∞: each coordinate; L2: a uniform direction with radius ε·u^(1/d)). */
export function randomStart(x: Float32Array, count: number, norm: TrainingNorm, epsilon: number, bounds: readonly [number, number], random: Random): Float32Array {
  const adv = new Float32Array(x.length);
  if (norm === 'linf') {
    for (let i = 0; i < x.length; i++) adv[i] = x[i] + (2 * random.next() - 1) * epsilon;
  } else {
    const size = x.length / count;
    for (let n = 0; n < count; n++) {
      let sq = 0;
      const d = new Float32Array(size);
      for (let i = 0; i < size; i++) sq += (d[i] = random.normal()) ** 2;
      const r = (epsilon * random.next() ** (1 / size)) / Math.sqrt(sq);
      for (let i = 0; i < size; i++) adv[n * size + i] = x[n * size + i] + r * d[i];
    }
  }
  project(adv, x, count, norm, epsilon, bounds);
  return adv;
}
