/**
 * Mixup (Zhang et al. 2018, https://arxiv.org/abs/1710.09412): x̃ = λxᵢ + (1−λ)xⱼ, ỹ = λyᵢ + (1−λ)yⱼ with
 * λ ~ Beta(α, α) per sample and j a seeded permutation of the batch.
 */
import { z } from 'zod';
import { permutation, type Random } from '../../engine/random.js';
import { defineAugmentation } from './define.js';

export const mixupSchema = z.object({ alpha: z.number().positive().max(10).default(0.2) }).strict();

/** Gamma(shape, 1) by Marsaglia–Tsang (with the shape < 1 boost). */
export function sampleGamma(shape: number, random: Random): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * random.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = random.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function sampleBeta(a: number, b: number, random: Random): number {
  const x = sampleGamma(a, random);
  const y = sampleGamma(b, random);
  return x / (x + y);
}

export function createMixup(input: z.input<typeof mixupSchema> = {}) {
  const o = mixupSchema.parse(input);
  return defineAugmentation({
    id: 'mixup',
    kind: 'mix',
    apply(batch, random) {
      const size = batch.x.length / batch.count;
      const partner = permutation(batch.count, random);
      const x = new Float32Array(batch.x.length);
      const lambda = new Float32Array(batch.count);
      const mixLabels = new Int32Array(batch.count);
      for (let n = 0; n < batch.count; n++) {
        const l = sampleBeta(o.alpha, o.alpha, random);
        const j = partner[n];
        lambda[n] = l;
        mixLabels[n] = batch.labels[j];
        for (let i = 0; i < size; i++) x[n * size + i] = l * batch.x[n * size + i] + (1 - l) * batch.x[j * size + i];
      }
      return { x, labels: batch.labels, mixLabels, lambda };
    },
  });
}
