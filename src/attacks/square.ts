/**
 * Square Attack — score-based random search: each iteration changes one random square window of the current
 * perturbation (to a vertex of the L∞ ball, or by moving L2 mass between two windows) and keeps the change when the
 * margin loss decreases. The window side follows the paper's p-schedule: the fraction p of changed coordinates
 * starts at `pInit` (0.8 for L∞, 0.1 for L2) and halves at iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000 and
 * 8000 of a 10,000-query run (the milestones scale with the budget). Initialisation: vertical stripes (L∞) or a
 * grid of pseudo-Gaussian blocks (L2) at the ball's boundary.
 *
 * Paper: Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a query-efficient black-box adversarial attack
 * via random search", ECCV 2020, https://arxiv.org/abs/1912.00049.
 * Norms: linf, l2. Knowledge: scores (forward queries only). Kind: fixed-epsilon. Targeted: yes.
 * Loss: margin on the scores — z_y − max_{j≠y} z_j (untargeted), max_{j≠t} z_j − z_t (targeted); a sample is done
 * once its margin is < 0 and is not queried again. Queries are batched: every still-unbroken sample goes through
 * one forward call per iteration. Budget: `queries` per sample (default 5,000 as in AutoAttack), the
 * initialisation counting as one. Images only ([H, W, C] samples).
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'square', options: { queries: 1000 } }], norm: 'linf', epsilons: [0.3] });
 * report.attacks[0].results[0].queries.toSuccess; // { median, p90 } of queries to success per broken sample
 */
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import type { Random } from '../engine/random.js';
import { RampartError } from '../errors.js';
import { scoresOf } from './rows.js';
import { defineAttack, type AttackInput } from './define.js';

export const squareOptions = z
  .object({
    /** Query budget per sample (the initialisation is one query). */
    queries: z.number().int().min(1).default(5000),
    /** Initial fraction of coordinates changed per iteration; default 0.8 (linf) / 0.1 (l2). */
    pInit: z.number().gt(0).max(1).optional(),
  })
  .strict();

/** The paper's p-schedule: p at iteration `it` of a `budget`-iteration run (milestones of a 10,000 run, scaled). */
export function squareP(pInit: number, it: number, budget: number): number {
  const scaled = Math.floor((it / budget) * 10000);
  const milestones = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let p = pInit;
  for (const m of milestones) if (scaled > m) p /= 2;
  return p;
}

/** Margin losses per row from scores: positive while the goal is not reached. */
export function marginLoss(scores: Float32Array, classes: number, labels: ArrayLike<number>, targets: ArrayLike<number> | undefined): Float64Array {
  const n = labels.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const anchor = targets ? targets[i] : labels[i];
    let other = -Infinity;
    for (let c = 0; c < classes; c++) if (c !== anchor && scores[i * classes + c] > other) other = scores[i * classes + c];
    const own = scores[i * classes + anchor];
    out[i] = targets ? other - own : own - other;
  }
  return out;
}

/** Pseudo-Gaussian rectangle: concentric rings of weight 1/(r+1)² around the centre, unit L2 norm. */
function rectanglePerturbation(h: number, w: number): Float64Array {
  const delta = new Float64Array(h * w);
  const ch = Math.floor(h / 2) + 1;
  const cw = Math.floor(w / 2) + 1;
  let r0 = ch - 1;
  let c0 = cw - 1;
  for (let ring = 0; ring < Math.max(ch, cw); ring++) {
    for (let r = Math.max(r0, 0); r < Math.min(r0 + 2 * ring + 1, h); r++) {
      for (let c = Math.max(c0, 0); c < Math.min(c0 + 2 * ring + 1, w); c++) delta[r * w + c] += 1 / (ring + 1) ** 2;
    }
    r0--;
    c0--;
  }
  return normalise(delta);
}

function normalise(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < values.length; i++) values[i] /= norm;
  return values;
}

/** The paper's s×s block for L2: two opposite pseudo-Gaussian halves, randomly transposed; unit L2 norm. */
export function metaPseudoGaussian(s: number, random: Random): Float64Array {
  const delta = new Float64Array(s * s);
  const half = Math.floor(s / 2);
  const top = rectanglePerturbation(half, s);
  const bottom = rectanglePerturbation(s - half, s);
  delta.set(top, 0);
  for (let i = 0; i < bottom.length; i++) delta[half * s + i] = -bottom[i];
  normalise(delta);
  if (random.next() > 0.5) {
    const t = new Float64Array(s * s);
    for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) t[c * s + r] = delta[r * s + c];
    return t;
  }
  return delta;
}

interface Geometry {
  h: number;
  w: number;
  c: number;
  size: number;
}

const clip = (v: number, low: number, high: number) => (v < low ? low : v > high ? high : v);

export const square = defineAttack({
  id: 'square',
  title: 'Square Attack (score-based random search)',
  paper: 'Andriushchenko, Croce, Flammarion & Hein 2020, Square Attack: a query-efficient black-box adversarial attack via random search, https://arxiv.org/abs/1912.00049',
  norms: ['linf', 'l2'],
  requires: 'scores',
  kind: 'fixed-epsilon',
  targeted: true,
  options: squareOptions,
  async run(input, { model, random, recordQueries }, options) {
    const shape = input.x.shape.slice(1);
    if (shape.length !== 3) {
      throw new RampartError('BAD_OPTION', `square: needs image samples [H, W, C], got [${shape.join(', ')}]; use simba or withEstimatedGradients for tabular data.`);
    }
    const [h, w, c] = shape;
    const geometry: Geometry = { h, w, c, size: h * w * c };
    const x = (await input.x.data()) as Float32Array;
    const result = await runSquare(model, x, input, geometry, options.queries, options.pInit ?? (input.threat.norm === 'linf' ? 0.8 : 0.1), random);
    recordQueries?.(result.queries);
    return tf.tensor(result.best, input.x.shape, 'float32');
  },
});

/** The random search on host arrays; returns the best points and the queries each sample used. */
async function runSquare(model: Model, x: Float32Array, input: AttackInput, g: Geometry, budget: number, pInit: number, random: Random): Promise<{ best: Float32Array; queries: Int32Array }> {
  const n = input.labels.length;
  const { size, h, w, c } = g;
  const { norm, epsilon, bounds } = input.threat;
  const [low, high] = bounds;
  const classes = model.numClasses;
  const best = new Float32Array(x.length);
  const queries = new Int32Array(n);
  // ---- initialisation ----
  if (norm === 'linf') {
    for (let i = 0; i < n; i++) {
      for (let col = 0; col < w; col++) {
        for (let ch = 0; ch < c; ch++) {
          const sign = random.next() < 0.5 ? -epsilon : epsilon;
          for (let row = 0; row < h; row++) {
            const k = i * size + (row * w + col) * c + ch;
            best[k] = clip(x[k] + sign, low, high);
          }
        }
      }
    }
  } else {
    const s = Math.max(1, Math.floor(h / 5));
    const start = Math.floor((h - s * 5) / 2);
    for (let i = 0; i < n; i++) {
      const delta = new Float64Array(size);
      for (let bh = 0, ph = start; bh < Math.floor(h / s) && ph + s <= h; bh++, ph += s) {
        for (let bw = 0, pw = start; bw < Math.floor(w / s) && pw + s <= w; bw++, pw += s) {
          const block = metaPseudoGaussian(s, random);
          for (let ch = 0; ch < c; ch++) {
            const sign = random.next() < 0.5 ? -1 : 1;
            for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) delta[((ph + r) * w + pw + q) * c + ch] += sign * block[r * s + q];
          }
        }
      }
      scaleInto(best, x, delta, i * size, size, epsilon, low, high);
    }
  }
  let scores = await scoresOf(model, best, n, [h, w, c]);
  for (let i = 0; i < n; i++) queries[i] = 1;
  const loss = marginLoss(scores, classes, input.labels, input.targets);
  const candidate = new Float32Array(x.length);
  // ---- iterations ----
  for (let it = 1; it < budget; it++) {
    const active: number[] = [];
    for (let i = 0; i < n; i++) if (loss[i] >= 0) active.push(i);
    if (active.length === 0) break;
    const p = squareP(pInit, it - 1, budget);
    let s = Math.round(Math.sqrt((p * size) / c));
    s = Math.min(Math.max(s, norm === 'l2' ? 3 : 1), h - 1, w - 1);
    s = Math.max(s, 1);
    const rows = new Float32Array(active.length * size);
    active.forEach((i, j) => {
      const o = i * size;
      if (norm === 'linf') proposeLinf(candidate, best, x, o, g, s, epsilon, low, high, random);
      else proposeL2(candidate, best, x, o, g, s, epsilon, low, high, random);
      rows.set(candidate.subarray(o, o + size), j * size);
    });
    scores = await scoresOf(model, rows, active.length, [h, w, c]);
    const labels = Int32Array.from(active, (i) => input.labels[i]);
    const targets = input.targets ? Int32Array.from(active, (i) => input.targets![i]) : undefined;
    const newLoss = marginLoss(scores, classes, labels, targets);
    active.forEach((i, j) => {
      queries[i]++;
      if (newLoss[j] < loss[i]) {
        loss[i] = newLoss[j];
        best.set(rows.subarray(j * size, (j + 1) * size), i * size);
      }
    });
  }
  return { best, queries };
}

/** best[o..] ← clip(x + ε·δ/‖δ‖₂) for one sample. */
function scaleInto(out: Float32Array, x: Float32Array, delta: Float64Array, o: number, size: number, epsilon: number, low: number, high: number): void {
  let sum = 0;
  for (const v of delta) sum += v * v;
  const factor = sum > 0 ? epsilon / Math.sqrt(sum) : 0;
  for (let k = 0; k < size; k++) out[o + k] = clip(x[o + k] + delta[k] * factor, low, high);
}

/** L∞ step: one s×s window of the perturbation set to ±ε per channel (redrawn while it would not change the point). */
function proposeLinf(out: Float32Array, best: Float32Array, x: Float32Array, o: number, g: Geometry, s: number, epsilon: number, low: number, high: number, random: Random): void {
  const { h, w, c, size } = g;
  for (let k = 0; k < size; k++) out[o + k] = best[o + k];
  const r0 = random.int(h - s + 1);
  const c0 = random.int(w - s + 1);
  const signs = new Float64Array(c);
  for (let attempt = 0; attempt < 10; attempt++) {
    for (let ch = 0; ch < c; ch++) signs[ch] = random.next() < 0.5 ? -epsilon : epsilon;
    let changed = false;
    for (let r = r0; r < r0 + s && !changed; r++) {
      for (let q = c0; q < c0 + s && !changed; q++) {
        for (let ch = 0; ch < c; ch++) {
          const k = o + (r * w + q) * c + ch;
          if (Math.abs(clip(x[k] + signs[ch], low, high) - best[k]) >= 1e-7) {
            changed = true;
            break;
          }
        }
      }
    }
    if (changed) break;
  }
  for (let r = r0; r < r0 + s; r++) {
    for (let q = c0; q < c0 + s; q++) {
      for (let ch = 0; ch < c; ch++) {
        const k = o + (r * w + q) * c + ch;
        out[k] = clip(x[k] + signs[ch], low, high);
      }
    }
  }
}

/** L2 step: moves the perturbation mass of two s×s windows into a new pseudo-Gaussian block in the first one. */
function proposeL2(out: Float32Array, best: Float32Array, x: Float32Array, o: number, g: Geometry, s: number, epsilon: number, low: number, high: number, random: Random): void {
  const { h, w, c, size } = g;
  const delta = new Float64Array(size);
  for (let k = 0; k < size; k++) delta[k] = best[o + k] - x[o + k];
  const r1 = random.int(h - s + 1);
  const c1 = random.int(w - s + 1);
  let r2 = random.int(h - s + 1);
  let c2 = random.int(w - s + 1);
  for (let attempt = 0; attempt < 10 && r2 === r1 && c2 === c1; attempt++) {
    r2 = random.int(h - s + 1);
    c2 = random.int(w - s + 1);
  }
  const inWindow = (r: number, q: number, r0: number, q0: number) => r >= r0 && r < r0 + s && q >= q0 && q < q0 + s;
  const window1 = new Float64Array(c);
  let windows = 0;
  let outside = 0;
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      const in1 = inWindow(r, q, r1, c1);
      const in2 = inWindow(r, q, r2, c2);
      for (let ch = 0; ch < c; ch++) {
        const v = delta[(r * w + q) * c + ch];
        if (in1) window1[ch] += v * v;
        if (in1 || in2) windows += v * v;
        else outside += v * v;
      }
    }
  }
  const block = metaPseudoGaussian(s, random);
  const target = Math.sqrt(Math.max(epsilon * epsilon - outside, 0) / c + windows / c);
  for (let ch = 0; ch < c; ch++) {
    const sign = random.next() < 0.5 ? -1 : 1;
    const oldNorm = Math.sqrt(window1[ch]) + 1e-10;
    const fresh = new Float64Array(s * s);
    let sum = 0;
    for (let r = 0; r < s; r++) {
      for (let q = 0; q < s; q++) {
        const v = sign * block[r * s + q] + delta[((r1 + r) * w + c1 + q) * c + ch] / oldNorm;
        fresh[r * s + q] = v;
        sum += v * v;
      }
    }
    const factor = sum > 0 ? target / Math.sqrt(sum) : 0;
    for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) delta[((r2 + r) * w + c2 + q) * c + ch] = 0;
    for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) delta[((r1 + r) * w + c1 + q) * c + ch] = fresh[r * s + q] * factor;
  }
  scaleInto(out, x, delta, o, size, epsilon, low, high);
}
