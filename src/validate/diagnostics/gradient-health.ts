/**
 * Gradient health: the cross-entropy input gradient on clean samples must be finite and non-zero. Zero gradients
 * (quantisation, thresholding, saturated softmax) and NaN/Inf gradients (non-differentiable preprocessing, log of
 * zero) make gradient attacks fail silently: "shattered gradients".
 * Source: Athalye, Carlini & Wagner 2018, https://arxiv.org/abs/1802.00420 (§4.1); Croce & Hein 2020 (AutoAttack
 * flags zero gradients).
 */
import { z } from 'zod';
import { tf } from '../../engine/tf.js';
import { isDifferentiable } from '../../engine/model.js';
import { defineDiagnostic } from './define.js';
import { round, sampleArrays } from './helpers.js';

export const gradientHealth = defineDiagnostic({
  id: 'gradient-health',
  title: 'Zero, NaN or Inf input gradients',
  severity: 'critical',
  cost: 'cheap',
  source: 'Athalye et al. 2018 (shattered gradients); Croce & Hein 2020 (AutoAttack checks)',
  remedy: 'Gradients are masked: use BPDA (replace the non-differentiable part by a differentiable approximation, e.g. identity for quantisation) or gradient-free attacks (square, hop-skip-jump), and make sure the attack sees logits.',
  options: z.object({ maxZeroFraction: z.number().min(0).max(1).default(0.2) }).strict(),
  async check(context, options) {
    if (!isDifferentiable(context.model)) return { status: 'skipped', reason: `model ${context.model.id} gives no input gradients (black-box)` };
    const sample = await sampleArrays(context.sample);
    if (sample.count === 0) return { status: 'skipped', reason: 'no samples' };
    const x = tf.tensor(sample.x, [sample.count, ...sample.shape]);
    const labels = tf.tensor1d(sample.y, 'int32');
    let values: Float32Array;
    try {
      const result = await context.model.lossAndGradient(x, labels, 'cross-entropy');
      values = (await result.gradient.data()) as Float32Array;
      tf.dispose([result.gradient, result.loss, result.logits]);
    } finally {
      tf.dispose([x, labels]);
    }
    const size = values.length / sample.count;
    let nonFinite = 0;
    let zero = 0;
    const norms: number[] = [];
    for (let i = 0; i < sample.count; i++) {
      let sum = 0;
      let finite = true;
      for (let j = 0; j < size; j++) {
        const v = values[i * size + j];
        if (!Number.isFinite(v)) finite = false;
        else sum += Math.abs(v);
      }
      if (!finite) nonFinite++;
      else if (sum === 0) zero++;
      if (finite) norms.push(sum);
    }
    norms.sort((a, b) => a - b);
    const evidence = {
      samples: sample.count,
      zeroGradientFraction: round(zero / sample.count),
      nonFiniteGradientSamples: nonFinite,
      medianGradientL1: norms.length ? norms[Math.floor(norms.length / 2)] : null,
    };
    if (nonFinite > 0) return { status: 'flagged', evidence, detail: `${nonFinite} of ${sample.count} samples have NaN or Inf input gradients` };
    if (zero / sample.count > options.maxZeroFraction) return { status: 'flagged', evidence, detail: `${zero} of ${sample.count} samples have an exactly zero input gradient` };
    return { status: 'clear', evidence };
  },
});
