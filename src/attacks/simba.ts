/**
 * SimBA — Simple Black-box Attack: walks through an orthonormal basis in random order (pixels, or low-frequency
 * DCT directions first) and for each direction q tries x − αq, then x + αq, keeping the first that lowers the
 * probability of the true class (raises the target's, for targeted goals). Each direction costs one or two
 * queries; accepted steps are orthogonal, so ‖δ‖₂ = α·√(accepted steps) (clipping to the bounds only shrinks it);
 * a step that would leave the ε-ball is not taken.
 *
 * Paper: Guo, Gardner, You, Wilson & Weinberger, "Simple Black-box Adversarial Attacks", ICML 2019,
 * https://arxiv.org/abs/1905.07121.
 * Norms: l2. Knowledge: scores (softmax of the model's scores). Kind: fixed-epsilon. Targeted: yes.
 * Defaults: basis 'pixel', α = 0.2, 5,000 queries per sample (the first query reads the clean probabilities).
 * Queries are batched: each round sends every still-unbroken sample's candidate through one forward call.
 * DCT basis: directions ordered by max(u, v) frequency (random order within a frequency level), per channel.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'simba', options: { basis: 'dct' } }], norm: 'l2', epsilons: [2] });
 */
import { z } from 'zod';
import { tf } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import { permutation, type Random } from '../engine/random.js';
import { scoresOf } from './rows.js';
import { defineAttack } from './define.js';

export const simbaOptions = z
  .object({
    basis: z.enum(['pixel', 'dct']).default('pixel'),
    /** Step length α along each basis direction (input units). */
    stepSize: z.number().positive().default(0.2),
    /** Query budget per sample. */
    queries: z.number().int().min(1).default(5000),
  })
  .strict();

/** Softmax probability of `cls` in each row of scores. */
function probabilities(scores: Float32Array, classes: number, cls: ArrayLike<number>): { p: Float64Array; argmax: Int32Array } {
  const n = cls.length;
  const p = new Float64Array(n);
  const argmax = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (scores[i * classes + c] > max) {
        max = scores[i * classes + c];
        argmax[i] = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(scores[i * classes + c] - max);
    p[i] = Math.exp(scores[i * classes + cls[i]] - max) / sum;
  }
  return { p, argmax };
}

/** Orthonormal 1-D DCT-II basis value c(u)·cos(π(2r+1)u / 2n). */
function dct1(n: number, u: number, r: number): number {
  const c = u === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
  return c * Math.cos((Math.PI * (2 * r + 1) * u) / (2 * n));
}

/** The order of basis directions: a permutation of coordinates (pixel) or of (u, v, channel) by frequency (dct). */
export function basisOrder(basis: 'pixel' | 'dct', shape: readonly number[], random: Random): Int32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (basis === 'pixel' || shape.length !== 3) return permutation(size, random);
  const [h, w, c] = shape;
  const shuffled = permutation(size, random);
  const level = (index: number) => {
    const u = Math.floor(index / (w * c));
    const v = Math.floor(index / c) % w;
    return Math.max(u, v);
  };
  const rank = new Float64Array(size);
  for (let k = 0; k < size; k++) rank[shuffled[k]] = k;
  return Int32Array.from(Array.from({ length: size }, (_, k) => k).sort((a, b) => level(a) - level(b) || rank[a] - rank[b]));
}

/** Writes direction `index` of the basis (unit L2 norm) into `out`. */
function direction(out: Float64Array, basis: 'pixel' | 'dct', shape: readonly number[], index: number): void {
  out.fill(0);
  if (basis === 'pixel' || shape.length !== 3) {
    out[index] = 1;
    return;
  }
  const [h, w, c] = shape;
  const u = Math.floor(index / (w * c));
  const v = Math.floor(index / c) % w;
  const ch = index % c;
  for (let r = 0; r < h; r++) {
    const a = dct1(h, u, r);
    for (let q = 0; q < w; q++) out[(r * w + q) * c + ch] = a * dct1(w, v, q);
  }
}

export const simba = defineAttack({
  id: 'simba',
  title: 'SimBA (simple black-box attack, pixel or DCT basis)',
  paper: 'Guo, Gardner, You, Wilson & Weinberger 2019, Simple Black-box Adversarial Attacks, https://arxiv.org/abs/1905.07121',
  norms: ['l2'],
  requires: 'scores',
  kind: 'fixed-epsilon',
  targeted: true,
  options: simbaOptions,
  async run(input, { model, random, recordQueries }, options) {
    const shape = input.x.shape.slice(1);
    const n = input.labels.length;
    const size = shape.reduce((a, b) => a * b, 1);
    const { epsilon, bounds } = input.threat;
    const [low, high] = bounds;
    const classes = model.numClasses;
    const x = (await input.x.data()) as Float32Array;
    const best = new Float32Array(x);
    const queries = new Int32Array(n);
    const anchor = input.targets ?? input.labels;
    const sign = input.targets ? -1 : 1; // minimise sign·p(anchor)
    // first query: the starting probabilities
    const first = probabilities(await scoresOf(model, best, n, shape), classes, anchor);
    queries.fill(1);
    const p = first.p;
    const done = new Uint8Array(n);
    const isDone = (i: number, argmax: number) => (input.targets ? argmax === input.targets[i] : argmax !== input.labels[i]);
    for (let i = 0; i < n; i++) done[i] = Number(isDone(i, first.argmax[i]));
    let order = basisOrder(options.basis, shape, random);
    const q = new Float64Array(size);
    const candidate = new Float32Array(size);
    for (let step = 0; ; step++) {
      if (step > 0 && step % size === 0) order = basisOrder(options.basis, shape, random);
      direction(q, options.basis, shape, order[step % size]);
      let pending: number[] = [];
      for (let i = 0; i < n; i++) if (!done[i] && queries[i] < options.queries) pending.push(i);
      if (pending.length === 0) break;
      for (const trySign of [-1, 1]) {
        const tried: number[] = [];
        const rows: Float32Array[] = [];
        for (const i of pending) {
          if (queries[i] >= options.queries) continue;
          let sum = 0;
          for (let k = 0; k < size; k++) {
            const o = i * size + k;
            const v = Math.min(high, Math.max(low, best[o] + trySign * options.stepSize * q[k]));
            candidate[k] = v;
            const d = v - x[o];
            sum += d * d;
          }
          if (Math.sqrt(sum) > epsilon) continue;
          tried.push(i);
          rows.push(Float32Array.from(candidate));
        }
        if (tried.length === 0) break;
        const batch = new Float32Array(tried.length * size);
        rows.forEach((r, j) => batch.set(r, j * size));
        const result = probabilities(await scoresOf(model, batch, tried.length, shape), classes, Int32Array.from(tried, (i) => anchor[i]));
        const rejected: number[] = [];
        tried.forEach((i, j) => {
          queries[i]++;
          if (sign * result.p[j] < sign * p[i]) {
            p[i] = result.p[j];
            best.set(rows[j], i * size);
            done[i] = Number(isDone(i, result.argmax[j]));
          } else rejected.push(i);
        });
        pending = rejected;
      }
      // every direction gets tried once per pass; stop when no sample can take another step within the ball
      if (step >= size * 4) break;
    }
    recordQueries?.(queries);
    return tf.tensor(best, input.x.shape, 'float32');
  },
});
