/**
 * Certified-training objective (Gowal et al. 2018, https://arxiv.org/abs/1810.12715; Zhang et al. 2020 CROWN-IBP,
 * https://arxiv.org/abs/1906.06316): L = κ·CE(z(x), y) + (1−κ)·CE(−m, y), where m are lower bounds of the margins
 * zᵧ − zⱼ over the ε-ball (the "worst-case logits" −m, 0 at the true class), computed differentiably by the
 * certification layer's `certifiedMarginBounds` (src/certify/training-bounds.ts). IBP uses interval bounds;
 * CROWN-IBP uses β·CROWN-IBP + (1−β)·IBP with β ramping from 1 to 0 as ε ramps up (the paper's schedule). The loop
 * ramps ε and κ (κ from `kappaStart` to `kappaEnd` over the ε ramp).
 */
import { tf } from '../../engine/tf.js';
import { crossEntropy } from '../../engine/losses.js';
import { certifiedMarginBounds } from '../../certify/training-bounds.js';
import type { TfjsTrainingEngine } from '../engines/tfjs-engine.js';

export interface CertifiedObjectiveOptions {
  method: 'ibp' | 'crown-ibp';
  epsilon: number;
  kappa: number;
  /** Fraction of the ε ramp done (0..1): CROWN-IBP's β = 1 − progress. */
  progress: number;
  bounds: readonly [number, number];
}

/** CROWN-IBP's β (weight of the CROWN-IBP bound) given the fraction of the ε ramp done: 1 → 0 over the ramp. */
export function crownIbpBeta(rampDone: number): number {
  return Math.max(0, 1 - rampDone);
}

export function certifiedObjective(engine: TfjsTrainingEngine, x: Float32Array, labels: Int32Array, count: number, o: CertifiedObjectiveOptions) {
  const shape = [count, ...engine.sampleShape];
  let logits = new Float32Array(0) as Float32Array<ArrayBufferLike>;
  const result = engine.objectiveGradients((apply) => {
    const xs = tf.tensor(x, shape);
    const y = tf.tensor1d(labels, 'int32');
    const clean = apply(xs, true);
    logits = clean.dataSync() as Float32Array;
    const natural = tf.mean(crossEntropy(clean, y));
    if (o.epsilon <= 0) return natural as tf.Scalar;
    const beta = o.method === 'crown-ibp' ? crownIbpBeta(o.progress) : 0;
    const margins = certifiedMarginBounds(engine.layersModel, xs, y, { epsilon: o.epsilon, method: beta > 0 ? 'crown-ibp' : 'ibp', beta: beta > 0 ? beta : 1, bounds: [o.bounds[0], o.bounds[1]] });
    const robust = tf.mean(crossEntropy(tf.neg(margins), y));
    return tf.add(tf.mul(o.kappa, natural), tf.mul(1 - o.kappa, robust)) as tf.Scalar;
  });
  return { ...result, logits };
}
