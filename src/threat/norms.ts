/**
 * Per-norm operations as one lookup table (`normOps[norm]`), so attacks never copy norm-specific code.
 * All functions take batches [N, ...] and work per sample over every non-batch dimension.
 * - distance: per-sample norm of a perturbation, [N].
 * - project: the closest point of the ε-ball (Euclidean projection; for l1 the exact simplex-based projection
 *   of Duchi et al. 2008, for l0 keeping the ε largest-magnitude entries).
 * - steepest: the steepest-ascent step of a given size for a gradient (sign for l∞, normalised gradient for l2,
 *   a sparse step on the largest-magnitude coordinates for l1 as in Tramèr & Boneh 2019).
 * - randomStart: a uniform random point of the ε-ball (seeded).
 * Tensors returned are owned by the caller.
 */
import { tf, type Tensor, type Tensor1D } from '../engine/tf.js';
import type { Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import type { Norm, ThreatModel } from './threat-model.js';

export interface NormOps {
  distance(delta: Tensor): Tensor1D;
  project(delta: Tensor, epsilon: number): Tensor;
  steepest(gradient: Tensor, stepSize: number, options?: { l1Sparsity?: number }): Tensor;
  randomStart(shape: readonly number[], epsilon: number, random: Random): Tensor;
}

const tiny = 1e-12;

function flat(t: Tensor): tf.Tensor2D {
  return tf.reshape(t, [t.shape[0], -1]);
}

/** Scales each sample of `t` by the matching entry of `factors` ([N]). */
function scaleRows(t: Tensor, factors: Tensor1D): Tensor {
  return tf.mul(t, tf.reshape(factors, [t.shape[0], ...t.shape.slice(1).map(() => 1)]));
}

function sampleSize(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Euclidean projection of each row of `values` onto the L1 ball of radius `radius` (Duchi et al. 2008). */
export function projectRowsL1(values: Float32Array, rows: number, radius: number): Float32Array {
  const size = values.length / rows;
  const out = new Float32Array(values.length);
  const magnitudes = new Float64Array(size);
  for (let r = 0; r < rows; r++) {
    const row = values.subarray(r * size, (r + 1) * size);
    let l1 = 0;
    for (let i = 0; i < size; i++) l1 += Math.abs(row[i]);
    if (l1 <= radius) {
      out.set(row, r * size);
      continue;
    }
    for (let i = 0; i < size; i++) magnitudes[i] = Math.abs(row[i]);
    const sorted = Float64Array.from(magnitudes).sort().reverse();
    // Find the threshold θ with Σ max(|v_i| − θ, 0) = radius.
    let cumulative = 0;
    let theta = 0;
    for (let k = 0; k < size; k++) {
      cumulative += sorted[k];
      const candidate = (cumulative - radius) / (k + 1);
      if (k === size - 1 || sorted[k + 1] <= candidate) {
        theta = candidate;
        break;
      }
    }
    for (let i = 0; i < size; i++) {
      const shrunk = Math.max(magnitudes[i] - theta, 0);
      out[r * size + i] = Math.sign(row[i]) * shrunk;
    }
  }
  return out;
}

/** Keeps the `count` largest-magnitude entries of each row, zeroing the rest. */
export function keepTopRows(values: Float32Array, rows: number, count: number): Float32Array {
  const size = values.length / rows;
  const out = new Float32Array(values.length);
  const k = Math.max(0, Math.min(size, Math.floor(count)));
  if (k === 0) return out;
  const order = new Int32Array(size);
  for (let r = 0; r < rows; r++) {
    const row = values.subarray(r * size, (r + 1) * size);
    let nonZero = 0;
    for (let i = 0; i < size; i++) if (row[i] !== 0) nonZero++;
    if (nonZero <= k) {
      out.set(row, r * size);
      continue;
    }
    for (let i = 0; i < size; i++) order[i] = i;
    const sorted = Array.from(order).sort((a, b) => Math.abs(row[b]) - Math.abs(row[a]) || a - b);
    for (let j = 0; j < k; j++) out[r * size + sorted[j]] = row[sorted[j]];
  }
  return out;
}

const linf: NormOps = {
  distance: (delta) => tf.tidy(() => tf.max(tf.abs(flat(delta)), 1) as Tensor1D),
  project: (delta, epsilon) => tf.clipByValue(delta, -epsilon, epsilon),
  steepest: (gradient, stepSize) => tf.tidy(() => tf.mul(tf.sign(gradient), stepSize)),
  randomStart: (shape, epsilon, random) =>
    tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * random.next() - 1) * epsilon), [...shape]),
};

const l2: NormOps = {
  distance: (delta) => tf.tidy(() => tf.sqrt(tf.sum(tf.square(flat(delta)), 1)) as Tensor1D),
  project: (delta, epsilon) =>
    tf.tidy(() => {
      const norms = tf.sqrt(tf.sum(tf.square(flat(delta)), 1)) as Tensor1D;
      const factors = tf.minimum(1, tf.div(epsilon, tf.maximum(norms, tiny))) as Tensor1D;
      return scaleRows(delta, factors);
    }),
  steepest: (gradient, stepSize) =>
    tf.tidy(() => {
      const norms = tf.sqrt(tf.sum(tf.square(flat(gradient)), 1)) as Tensor1D;
      return scaleRows(gradient, tf.div(stepSize, tf.maximum(norms, tiny)) as Tensor1D);
    }),
  randomStart: (shape, epsilon, random) => {
    // Uniform in the L2 ball: Gaussian direction, radius ε·u^(1/d).
    const d = sampleSize(shape);
    const n = shape[0];
    const values = new Float32Array(n * d);
    for (let s = 0; s < n; s++) {
      let norm = 0;
      for (let i = 0; i < d; i++) {
        const g = random.normal();
        values[s * d + i] = g;
        norm += g * g;
      }
      const radius = (epsilon * Math.pow(random.next(), 1 / d)) / Math.max(Math.sqrt(norm), tiny);
      for (let i = 0; i < d; i++) values[s * d + i] *= radius;
    }
    return tf.tensor(values, [...shape]);
  },
};

const l1: NormOps = {
  distance: (delta) => tf.tidy(() => tf.sum(tf.abs(flat(delta)), 1) as Tensor1D),
  project: (delta, epsilon) => {
    const values = delta.dataSync() as Float32Array;
    return tf.tensor(projectRowsL1(values, delta.shape[0], epsilon), delta.shape);
  },
  steepest: (gradient, stepSize, options = {}) => {
    // Sparse steepest step: move the top (1 − sparsity) fraction of coordinates by their gradient sign,
    // the step's L1 norm being stepSize (Tramèr & Boneh 2019 use the 99th percentile of |g|).
    const sparsity = options.l1Sparsity ?? 0.99;
    const n = gradient.shape[0];
    const d = sampleSize(gradient.shape);
    const k = Math.max(1, Math.round((1 - sparsity) * d));
    const g = gradient.dataSync() as Float32Array;
    const signed = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) signed[i] = Math.sign(g[i]);
    const magnitudes = Float32Array.from(g, Math.abs);
    const step = new Float32Array(g.length);
    for (let s = 0; s < n; s++) {
      const top = keepTopRows(magnitudes.subarray(s * d, (s + 1) * d), 1, k);
      let count = 0;
      for (let i = 0; i < d; i++) if (top[i] > 0) count++;
      for (let i = 0; i < d; i++) if (top[i] > 0) step[s * d + i] = (signed[s * d + i] * stepSize) / count;
    }
    return tf.tensor(step, gradient.shape);
  },
  randomStart: (shape, epsilon, random) => {
    // Uniform in the L1 ball: exponential magnitudes with random signs, normalised, radius ε·u^(1/d).
    const d = sampleSize(shape);
    const n = shape[0];
    const values = new Float32Array(n * d);
    for (let s = 0; s < n; s++) {
      let total = 0;
      for (let i = 0; i < d; i++) {
        const e = -Math.log(1 - random.next());
        values[s * d + i] = random.next() < 0.5 ? -e : e;
        total += e;
      }
      const radius = (epsilon * Math.pow(random.next(), 1 / d)) / Math.max(total, tiny);
      for (let i = 0; i < d; i++) values[s * d + i] *= radius;
    }
    return tf.tensor(values, [...shape]);
  },
};

const l0: NormOps = {
  distance: (delta) => tf.tidy(() => tf.sum(tf.cast(tf.notEqual(flat(delta), 0), 'float32'), 1) as Tensor1D),
  project: (delta, epsilon) => {
    const values = delta.dataSync() as Float32Array;
    return tf.tensor(keepTopRows(values, delta.shape[0], epsilon), delta.shape);
  },
  steepest: () => {
    throw new RampartError('BAD_OPTION', 'The l0 norm has no steepest-ascent step; use an l0 attack such as jsma.', {});
  },
  randomStart: (shape, epsilon, random) => {
    const d = sampleSize(shape);
    const n = shape[0];
    const values = new Float32Array(n * d);
    const k = Math.min(d, Math.floor(epsilon));
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < k; j++) values[s * d + random.int(d)] = 2 * random.next() - 1;
    }
    return tf.tensor(values, [...shape]);
  },
};

export const normOps: Record<Norm, NormOps> = { linf, l2, l1, l0 };

/** Clips every value into the input bounds. */
export function clipToBounds(x: Tensor, bounds: readonly [number, number]): Tensor {
  return tf.clipByValue(x, bounds[0], bounds[1]);
}

/**
 * The harness's projection: the point of {x + δ : ‖δ‖ ≤ ε} ∩ bounds obtained by projecting δ onto the ball and
 * then clipping to the bounds (clipping only shrinks |δ_i|, so the result stays inside the ball for every norm).
 */
export function projectToThreat(xAdv: Tensor, x: Tensor, threat: Pick<ThreatModel, 'norm' | 'epsilon' | 'bounds'>): Tensor {
  return tf.tidy(() => {
    const delta = tf.sub(xAdv, x);
    const projected = normOps[threat.norm].project(delta, threat.epsilon);
    return clipToBounds(tf.add(x, projected), threat.bounds);
  });
}

/** Per-sample distance between two batches in a norm, as a plain array. */
export function distances(a: Tensor, b: Tensor, norm: Norm): Float32Array {
  return tf.tidy(() => normOps[norm].distance(tf.sub(a, b)).dataSync() as Float32Array);
}
