/**
 * Boundary Attack — a decision-based (label-only) L2 minimal-perturbation attack: a random walk along the decision
 * boundary that starts far away (at an adversarial point) and keeps only adversarial moves that get closer to x.
 *
 * Each step, for every still-running sample with current adversarial point a at distance r = ‖x − a‖₂:
 * - orthogonal step: a Gaussian direction, made orthogonal to x − a and scaled to `sphericalStep`·r, is added to a
 *   and the result put back on the sphere of radius r around x (clipped to the bounds): the *spherical* candidate;
 * - source step: the spherical candidate moved towards x by `sourceStep`·r: the *final* candidate.
 * Both are queried (two forward queries per sample and step); the final candidate replaces a when it is
 * adversarial and closer. Every `adaptEvery` steps the step sizes adapt to the success rates over that window
 * (the paper's trust-region rule, factor `stepAdaptation`): spherical success > 0.5 → both steps ×1.5 (< 0.2 → ÷1.5);
 * final success > 0.5 → source step ×1.5 (< 0.2 → ÷1.5).
 * Start: uniform noise until adversarial, then a blended search toward x (as HopSkipJump's start; targeted: the
 * closest batch sample predicted as the target). Budget `queries` per sample, start included. All running samples
 * are queried together. Only the predicted label (argmax of the logits) is read.
 *
 * Paper: W. Brendel, J. Rauber and M. Bethge, "Decision-Based Adversarial Attacks: Reliable Attacks Against Black-Box
 * Machine Learning Models", ICLR 2018, https://arxiv.org/abs/1712.04248 (step sizes 0.01 and the 1.5 adaptation
 * factor as in the paper's reference implementation).
 * Norms: l2. Knowledge: decisions. Kind: minimization. Targeted: yes.
 *
 * @example
 * const report = await runAttacks({ model, data, attacks: [{ id: 'boundary', options: { steps: 2000 } }], norm: 'l2', epsilons: [1, 2] });
 */
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import { defineAttack } from './define.js';
import { decide, findStarts, isAdversarial, rowDistance } from './hop-skip-jump.js';

export const boundaryOptions = z
  .object({
    /** Random-walk steps (each costs 2 queries per sample). */
    steps: z.number().int().min(1).max(1_000_000).default(5000),
    /** Forward queries per sample, start included. */
    queries: z.number().int().min(10).max(10_000_000).default(25_000),
    /** Initial orthogonal step, relative to the current distance. */
    sphericalStep: z.number().positive().max(10).default(0.01),
    /** Initial step towards x, relative to the current distance. */
    sourceStep: z.number().positive().lt(1).default(0.01),
    /** Factor of the step-size adaptation. */
    stepAdaptation: z.number().gt(1).max(10).default(1.5),
    /** Steps per adaptation window. */
    adaptEvery: z.number().int().min(1).max(10_000).default(10),
    /** Uniform-noise draws to find an adversarial start. */
    initTries: z.number().int().min(1).max(100_000).default(100),
  })
  .strict();
export type BoundaryOptions = z.output<typeof boundaryOptions>;

export const boundary = defineAttack({
  id: 'boundary',
  title: 'Boundary Attack',
  paper: 'Brendel, Rauber & Bethge, "Decision-Based Adversarial Attacks: Reliable Attacks Against Black-Box Machine Learning Models", ICLR 2018, https://arxiv.org/abs/1712.04248',
  norms: ['l2'] as const,
  requires: 'decisions',
  kind: 'minimization',
  targeted: true,
  options: boundaryOptions,
  async run(input, { model, random, recordQueries }, options) {
    const { labels, targets } = input;
    const sampleShape = input.x.shape.slice(1);
    const n = labels.length;
    const x = Float32Array.from((await input.x.data()) as Float32Array);
    const size = x.length / n;
    const [low, high] = input.threat.bounds;
    const budget = options.queries;
    const used = new Float64Array(n);
    const { points, found } = await findStarts(model, x, labels, targets, sampleShape, input.threat.bounds, random, used, { initTries: options.initTries, blendSteps: 10, budget });
    const spherical = new Float64Array(n).fill(options.sphericalStep);
    const source = new Float64Array(n).fill(options.sourceStep);
    const sphericalHits = new Float64Array(n);
    const finalHits = new Float64Array(n);
    const distance = new Float64Array(n);
    for (let i = 0; i < n; i++) distance[i] = found[i] ? rowDistance(points, i, x, i, size, 'l2') : 0;
    const adversarial = (p: number, i: number) => isAdversarial(p, labels[i], targets?.[i]);
    let active = [...found.keys()].filter((i) => found[i] === 1);
    const direction = new Float64Array(size);

    for (let step = 1; step <= options.steps; step++) {
      active = active.filter((i) => used[i] + 2 <= budget && distance[i] > 0);
      if (active.length === 0) break;
      // rows 2j: spherical candidate, 2j+1: final candidate of active[j]
      const rows = new Float32Array(2 * active.length * size);
      active.forEach((i, j) => {
        const r = distance[i];
        // unit vector from the point to x
        let dot = 0;
        let dirNorm = 0;
        for (let k = 0; k < size; k++) {
          direction[k] = random.normal();
          const toSource = (x[i * size + k] - points[i * size + k]) / r;
          dot += direction[k] * toSource;
        }
        for (let k = 0; k < size; k++) {
          direction[k] -= dot * ((x[i * size + k] - points[i * size + k]) / r);
          dirNorm += direction[k] * direction[k];
        }
        const scale = (spherical[i] * r) / (Math.sqrt(dirNorm) || 1);
        // candidate a + η, back on the sphere of radius r around x
        let candidateNorm = 0;
        const s = 2 * j * size;
        for (let k = 0; k < size; k++) {
          const v = points[i * size + k] + scale * direction[k] - x[i * size + k];
          rows[s + k] = v;
          candidateNorm += v * v;
        }
        const toSphere = r / (Math.sqrt(candidateNorm) || 1);
        const toward = toSphere * (1 - source[i]);
        for (let k = 0; k < size; k++) {
          const v = rows[s + k];
          const c = x[i * size + k];
          rows[s + k] = Math.min(high, Math.max(low, c + v * toSphere));
          rows[s + size + k] = Math.min(high, Math.max(low, c + v * toward));
        }
      });
      const predicted = await decide(model, rows, 2 * active.length, sampleShape);
      active.forEach((i, j) => {
        used[i] += 2;
        if (adversarial(predicted[2 * j], i)) sphericalHits[i]++;
        if (adversarial(predicted[2 * j + 1], i)) {
          finalHits[i]++;
          const candidate = rows.subarray((2 * j + 1) * size, (2 * j + 2) * size);
          let d = 0;
          for (let k = 0; k < size; k++) d += (candidate[k] - x[i * size + k]) ** 2;
          d = Math.sqrt(d);
          if (d < distance[i]) {
            points.set(candidate, i * size);
            distance[i] = d;
          }
        }
        if (step % options.adaptEvery === 0) {
          const pSpherical = sphericalHits[i] / options.adaptEvery;
          const pFinal = finalHits[i] / options.adaptEvery;
          const f = options.stepAdaptation;
          if (pSpherical > 0.5) {
            spherical[i] *= f;
            source[i] *= f;
          } else if (pSpherical < 0.2) {
            spherical[i] /= f;
            source[i] /= f;
          }
          if (pFinal > 0.5) source[i] *= f;
          else if (pFinal < 0.2) source[i] /= f;
          source[i] = Math.min(source[i], 0.5);
          spherical[i] = Math.min(spherical[i], 1);
          sphericalHits[i] = 0;
          finalHits[i] = 0;
        }
      });
    }
    recordQueries?.(used);
    const out = Float32Array.from(x);
    for (let i = 0; i < n; i++) if (found[i]) out.set(points.subarray(i * size, (i + 1) * size), i * size);
    return tf.tensor(out, input.x.shape, 'float32') as Tensor;
  },
});
