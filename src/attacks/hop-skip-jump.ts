/**
 * HopSkipJumpAttack — a decision-based (label-only) minimal-perturbation attack. From an adversarial starting point
 * it repeats three moves: a binary search to the decision boundary between the clean input x and the current
 * point, an estimate of the boundary's normal from the signs of random probes around the boundary point, and a
 * geometric step-size search along that estimate (halving the step until the point is adversarial again).
 *
 * Details (following the paper, Algorithm 2, and its reference code for constants), d the input size:
 * - θ = γ/d^{3/2} (L2) or γ/d² (L∞), γ = `gamma` (1). Binary searches stop when the bracket is below θ (L2: on the
 *   blend factor of x and the point; L∞: on the L∞ radius of the box the point is clipped to, min(θ·dist, θ)).
 * - probe radius δ: 0.1·(bounds' width) in the first iteration, then √d·θ·dist (L2) or d·θ·dist (L∞).
 * - probes per estimate: min(`initialNumEvals`·√t, `maxNumEvals`) (100 and 10,000) at iteration t; unit-norm
 *   Gaussian directions (L2) or uniform ones (L∞), clipped to the bounds; baseline-corrected sign average.
 * - update direction: the estimate normalised (L2) or its sign (L∞); step ξ = dist/√t, halved until adversarial.
 * - start: untargeted, uniform noise in the bounds until it is misclassified (up to `initTries` draws; if noise
 *   never leaves the sample's class, the closest sample of the same batch predicted as another class), then a
 *   blended search (bisection on the blend of x and the start); targeted, the closest sample of the same batch the
 *   model puts in the target class, else noise draws until one lands in it.
 * - the budget `queries` counts every forward query per sample (start included); a sample stops when a next
 *   estimate would not fit. All still-running samples are queried together in one batched call per move.
 * Only the predicted label (argmax of the logits) is ever read from the model.
 *
 * Paper: J. Chen, M. I. Jordan and M. J. Wainwright, "HopSkipJumpAttack: A Query-Efficient Decision-Based Attack",
 * IEEE S&P 2020, https://arxiv.org/abs/1904.02144.
 * Norms: l2, linf. Knowledge: decisions. Kind: minimization. Targeted: yes.
 *
 * Returned per sample: the smallest adversarial point found (each is adversarial under the attacked model when it
 * was found); a sample with no adversarial start is returned unchanged.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'hop-skip-jump', options: { queries: 5000 } }], norm: 'l2', epsilons: [1, 2] });
 */
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import type { Random } from '../engine/random.js';
import type { Norm } from '../threat/threat-model.js';
import { defineAttack } from './define.js';

// ---------------------------------------------------------------------------------------------------------------
// Label-only queries, shared with the boundary attack

/** Rows per forward call (bounded memory). */
const CHUNK = 1024;
/** Rows of one batched group of gradient probes. */
const GROUP_ROWS = 8192;

/**
 * Predicted labels of `count` rows of a flat buffer: one forward pass per chunk, argmax taken on the device, only
 * the labels read back.
 */
export async function decide(model: Model, rows: Float32Array, count: number, sampleShape: readonly number[]): Promise<Int32Array> {
  const size = count === 0 ? 0 : rows.length / count;
  const out = new Int32Array(count);
  for (let start = 0; start < count; start += CHUNK) {
    const c = Math.min(CHUNK, count - start);
    const x = tf.tensor(rows.subarray(start * size, (start + c) * size), [c, ...sampleShape], 'float32');
    try {
      const logits = await model.logits(x);
      const labels = tf.tidy(() => tf.argMax(logits, 1));
      logits.dispose();
      out.set((await labels.data()) as Int32Array, start);
      labels.dispose();
    } finally {
      x.dispose();
    }
  }
  return out;
}

/** The success test on a label. */
export function isAdversarial(predicted: number, label: number, target: number | undefined): boolean {
  return target === undefined ? predicted !== label : predicted === target;
}

/** Distance of row `i` of `a` to row `i` of `b` in the norm (float64). */
export function rowDistance(a: Float32Array, ai: number, b: Float32Array, bi: number, size: number, norm: 'l2' | 'linf'): number {
  let s = 0;
  for (let k = 0; k < size; k++) {
    const d = Math.abs(a[ai * size + k] - b[bi * size + k]);
    if (norm === 'l2') s += d * d;
    else if (d > s) s = d;
  }
  return norm === 'l2' ? Math.sqrt(s) : s;
}

export interface StartPoints {
  points: Float32Array;
  found: Uint8Array;
}

/**
 * Adversarial starting points: targeted, the closest batch sample predicted as the target; otherwise uniform noise
 * draws (batched over the samples still without one), then bisection on the blend (1−a)·x + a·noise.
 */
export async function findStarts(
  model: Model,
  x: Float32Array,
  labels: Int32Array,
  targets: Int32Array | undefined,
  sampleShape: readonly number[],
  bounds: readonly [number, number],
  random: Random,
  used: Float64Array,
  options: { initTries: number; blendSteps: number; budget: number },
): Promise<StartPoints> {
  const n = labels.length;
  const size = x.length / n;
  const points = new Float32Array(x.length);
  const found = new Uint8Array(n);
  const [low, high] = bounds;
  if (targets) {
    const predicted = await decide(model, x, n, sampleShape);
    for (let i = 0; i < n; i++) used[i] += 1;
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestDistance = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i || predicted[j] !== targets[i]) continue;
        const d = rowDistance(x, i, x, j, size, 'l2');
        if (d < bestDistance) [best, bestDistance] = [j, d];
      }
      if (best >= 0) {
        points.set(x.subarray(best * size, (best + 1) * size), i * size);
        found[i] = 1;
      }
    }
  }
  for (let attempt = 0; attempt < options.initTries; attempt++) {
    const pending = [...found.keys()].filter((i) => found[i] === 0 && used[i] < options.budget);
    if (pending.length === 0) break;
    const rows = new Float32Array(pending.length * size);
    for (let k = 0; k < rows.length; k++) rows[k] = low + (high - low) * random.next();
    const predicted = await decide(model, rows, pending.length, sampleShape);
    pending.forEach((i, j) => {
      used[i] += 1;
      if (isAdversarial(predicted[j], labels[i], targets?.[i])) {
        points.set(rows.subarray(j * size, (j + 1) * size), i * size);
        found[i] = 1;
      }
    });
  }
  // Fallback (e.g. noise always lands in the sample's own class): the closest batch sample predicted otherwise.
  if (!targets && found.some((f, i) => f === 0 && used[i] < options.budget)) {
    const predicted = await decide(model, x, n, sampleShape);
    for (let i = 0; i < n; i++) used[i] += 1;
    for (let i = 0; i < n; i++) {
      if (found[i]) continue;
      let best = -1;
      let bestDistance = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i || !isAdversarial(predicted[j], labels[i], undefined)) continue;
        const d = rowDistance(x, i, x, j, size, 'l2');
        if (d < bestDistance) [best, bestDistance] = [j, d];
      }
      if (best >= 0) {
        points.set(x.subarray(best * size, (best + 1) * size), i * size);
        found[i] = 1;
      }
    }
  }
  // Blended search: the smallest blend factor that stays adversarial (bisection).
  const active = [...found.keys()].filter((i) => found[i] === 1);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n).fill(1);
  const noise = Float32Array.from(points);
  for (let step = 0; step < options.blendSteps && active.length > 0; step++) {
    const running = active.filter((i) => used[i] < options.budget);
    if (running.length === 0) break;
    const rows = new Float32Array(running.length * size);
    running.forEach((i, j) => {
      const a = (lo[i] + hi[i]) / 2;
      for (let k = 0; k < size; k++) rows[j * size + k] = (1 - a) * x[i * size + k] + a * noise[i * size + k];
    });
    const predicted = await decide(model, rows, running.length, sampleShape);
    running.forEach((i, j) => {
      used[i] += 1;
      const a = (lo[i] + hi[i]) / 2;
      if (isAdversarial(predicted[j], labels[i], targets?.[i])) {
        hi[i] = a;
        points.set(rows.subarray(j * size, (j + 1) * size), i * size);
      } else lo[i] = a;
    });
  }
  return { points, found };
}

// ---------------------------------------------------------------------------------------------------------------
// HopSkipJump

export const hopSkipJumpOptions = z
  .object({
    /** Forward queries per sample, starting point included. */
    queries: z.number().int().min(10).max(10_000_000).default(10_000),
    /** Largest number of iterations (estimate + step + binary search). */
    steps: z.number().int().min(1).max(100_000).default(1000),
    /** Probes of the first gradient estimate; iteration t uses initialNumEvals·√t. */
    initialNumEvals: z.number().int().min(1).max(1_000_000).default(100),
    /** Largest number of probes per estimate. */
    maxNumEvals: z.number().int().min(1).max(1_000_000).default(10_000),
    /** γ of the binary-search threshold θ. */
    gamma: z.number().positive().max(1e6).default(1),
    /** Uniform-noise draws to find an adversarial start. */
    initTries: z.number().int().min(1).max(100_000).default(100),
    /** Halvings of the step size before giving up on an iteration. */
    maxStepHalvings: z.number().int().min(1).max(60).default(25),
  })
  .strict();
export type HopSkipJumpOptions = z.output<typeof hopSkipJumpOptions>;

export const hopSkipJump = defineAttack({
  id: 'hop-skip-jump',
  title: 'HopSkipJumpAttack',
  paper: 'Chen, Jordan & Wainwright, "HopSkipJumpAttack: A Query-Efficient Decision-Based Attack", S&P 2020, https://arxiv.org/abs/1904.02144',
  norms: ['l2', 'linf'] as const,
  requires: 'decisions',
  kind: 'minimization',
  targeted: true,
  options: hopSkipJumpOptions,
  async run(input, { model, random, recordQueries }, options) {
    const norm = input.threat.norm as Norm;
    if (norm !== 'l2' && norm !== 'linf') throw new Error(`hop-skip-jump: unsupported norm ${norm}`);
    const { labels, targets } = input;
    const sampleShape = input.x.shape.slice(1);
    const n = labels.length;
    const x = Float32Array.from((await input.x.data()) as Float32Array);
    const size = x.length / n;
    const bounds = input.threat.bounds;
    const [low, high] = bounds;
    const budget = options.queries;
    const used = new Float64Array(n);
    const { points, found } = await findStarts(model, x, labels, targets, sampleShape, bounds, random, used, { initTries: options.initTries, blendSteps: 10, budget });
    const theta = norm === 'l2' ? options.gamma / (size * Math.sqrt(size)) : options.gamma / (size * size);
    const adversarial = (p: number, i: number) => isAdversarial(p, labels[i], targets?.[i]);
    const best = Float32Array.from(x);
    const bestDistance = new Float64Array(n).fill(Infinity);
    const keepIfBetter = (i: number) => {
      const d = rowDistance(points, i, x, i, size, norm);
      if (d < bestDistance[i]) {
        bestDistance[i] = d;
        best.set(points.subarray(i * size, (i + 1) * size), i * size);
      }
      return d;
    };

    /** Moves `points[i]` of the given samples onto the boundary between x and it (the adversarial side). */
    const binarySearch = async (samples: number[]): Promise<void> => {
      const lo = new Float64Array(n);
      const hi = new Float64Array(n);
      const threshold = new Float64Array(n);
      const start = Float32Array.from(points);
      for (const i of samples) {
        if (norm === 'l2') {
          hi[i] = 1;
          threshold[i] = theta;
        } else {
          hi[i] = rowDistance(points, i, x, i, size, 'linf');
          threshold[i] = Math.min(hi[i] * theta, theta);
        }
      }
      const project = (i: number, a: number, out: Float32Array, j: number) => {
        for (let k = 0; k < size; k++) {
          const c = x[i * size + k];
          const p = start[i * size + k];
          out[j * size + k] = norm === 'l2' ? (1 - a) * c + a * p : Math.min(Math.max(p, c - a), c + a);
        }
      };
      for (let guard = 0; guard < 64; guard++) {
        const running = samples.filter((i) => hi[i] - lo[i] > threshold[i] && used[i] < budget);
        if (running.length === 0) break;
        const rows = new Float32Array(running.length * size);
        running.forEach((i, j) => project(i, (lo[i] + hi[i]) / 2, rows, j));
        const predicted = await decide(model, rows, running.length, sampleShape);
        running.forEach((i, j) => {
          used[i] += 1;
          const mid = (lo[i] + hi[i]) / 2;
          if (adversarial(predicted[j], i)) {
            hi[i] = mid;
            points.set(rows.subarray(j * size, (j + 1) * size), i * size);
          } else lo[i] = mid;
        });
      }
    };

    let active = [...found.keys()].filter((i) => found[i] === 1);
    await binarySearch(active);
    const distance = new Float64Array(n);
    for (const i of active) distance[i] = keepIfBetter(i);

    for (let t = 1; t <= options.steps; t++) {
      const evals = Math.min(Math.floor(options.initialNumEvals * Math.sqrt(t)), options.maxNumEvals);
      // a sample continues only if a full estimate, a step search and a binary search still fit in its budget
      active = active.filter((i) => used[i] + evals + 2 <= budget && distance[i] > 0);
      if (active.length === 0) break;
      // 1. gradient-direction estimate at the boundary point
      const delta = new Float64Array(n);
      for (const i of active) delta[i] = t === 1 ? 0.1 * (high - low) : (norm === 'l2' ? Math.sqrt(size) : size) * theta * distance[i];
      const directions = new Float32Array(active.length * size);
      // probes of several samples go through one batched call (groups of about GROUP_ROWS rows)
      for (let first = 0; first < active.length; ) {
        const group: number[] = [];
        while (first < active.length && (group.length === 0 || (group.length + 1) * evals <= GROUP_ROWS)) group.push(first++);
        const probeRows = new Float32Array(group.length * evals * size);
        const rv = new Float32Array(group.length * evals * size);
        group.forEach((j, g) => {
          const i = active[j];
          for (let e = 0; e < evals; e++) {
            const o = (g * evals + e) * size;
            let norm2 = 0;
            for (let k = 0; k < size; k++) {
              const v = norm === 'l2' ? random.normal() : 2 * random.next() - 1;
              rv[o + k] = v;
              norm2 += v * v;
            }
            const scale = 1 / Math.sqrt(norm2 || 1);
            for (let k = 0; k < size; k++) {
              const base = points[i * size + k];
              const probe = Math.min(high, Math.max(low, base + delta[i] * rv[o + k] * scale));
              probeRows[o + k] = probe;
              rv[o + k] = (probe - base) / delta[i];
            }
          }
        });
        const predicted = await decide(model, probeRows, group.length * evals, sampleShape);
        group.forEach((j, g) => {
          const i = active[j];
          used[i] += evals;
          const signs = new Float64Array(evals);
          for (let e = 0; e < evals; e++) signs[e] = adversarial(predicted[g * evals + e], i) ? 1 : -1;
          const mean = signs.reduce((a, b) => a + b, 0) / evals;
          const grad = new Float64Array(size);
          for (let e = 0; e < evals; e++) {
            const w = mean === 1 || mean === -1 ? mean : signs[e] - mean;
            const o = (g * evals + e) * size;
            for (let k = 0; k < size; k++) grad[k] += w * rv[o + k];
          }
          let gnorm = 0;
          for (let k = 0; k < size; k++) gnorm += grad[k] * grad[k];
          gnorm = Math.sqrt(gnorm) || 1;
          for (let k = 0; k < size; k++) directions[j * size + k] = norm === 'l2' ? grad[k] / gnorm : Math.sign(grad[k]);
        });
      }
      // 2. geometric step-size search: ξ = dist/√t, halved until adversarial
      const stepSize = new Float64Array(n);
      for (const i of active) stepSize[i] = distance[i] / Math.sqrt(t);
      let searching = active.map((_, j) => j);
      for (let halving = 0; halving < options.maxStepHalvings && searching.length > 0; halving++) {
        searching = searching.filter((j) => used[active[j]] < budget);
        if (searching.length === 0) break;
        const rows = new Float32Array(searching.length * size);
        searching.forEach((j, r) => {
          const i = active[j];
          for (let k = 0; k < size; k++) rows[r * size + k] = Math.min(high, Math.max(low, points[i * size + k] + stepSize[i] * directions[j * size + k]));
        });
        const predicted = await decide(model, rows, searching.length, sampleShape);
        const next: number[] = [];
        searching.forEach((j, r) => {
          const i = active[j];
          used[i] += 1;
          if (adversarial(predicted[r], i)) points.set(rows.subarray(r * size, (r + 1) * size), i * size);
          else {
            stepSize[i] /= 2;
            next.push(j);
          }
        });
        searching = next;
      }
      // 3. back to the boundary
      await binarySearch(active);
      for (const i of active) distance[i] = keepIfBetter(i);
    }
    recordQueries?.(used);
    return tf.tensor(best, input.x.shape, 'float32') as Tensor;
  },
});
