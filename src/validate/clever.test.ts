import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import type { DifferentiableModel } from '../engine/model.js';
import { repoRoot } from '../../test/helpers/cli.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { linearLogits, multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { fitReverseWeibull } from './clever-weibull.js';
import { cleverScores, sampleBall } from './clever.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

interface WeibullReference {
  cases: { true: { shape: number; location: number; scale: number }; samples: number[]; scipy: { shape: number; location: number; scale: number; logLikelihood: number } }[];
}

describe('reverse Weibull MLE', () => {
  it('matches scipy.stats.weibull_max.fit on seeded samples (location, shape, scale, log-likelihood)', () => {
    const reference = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'clever-weibull-reference.json'), 'utf8')) as WeibullReference;
    expect(reference.cases.length).toBe(4);
    for (const c of reference.cases) {
      const fit = fitReverseWeibull(c.samples);
      expect(fit.method).toBe('mle');
      expect(Math.abs(fit.location - c.scipy.location) / c.scipy.location).toBeLessThan(1e-3);
      expect(Math.abs(fit.shape - c.scipy.shape) / c.scipy.shape).toBeLessThan(0.02);
      expect(Math.abs(fit.scale - c.scipy.scale) / c.scipy.scale).toBeLessThan(0.02);
      // A maximum likelihood fit is at least as likely as scipy's optimum (up to its optimiser tolerance).
      expect(fit.logLikelihood).toBeGreaterThan(c.scipy.logLikelihood - 1e-3);
      expect(fit.ksPValue).toBeGreaterThan(0.05);
    }
  });

  it('returns the observed maximum for equal maxima, and rejects too few or non-finite samples', () => {
    expect(fitReverseWeibull([2, 2, 2, 2])).toMatchObject({ location: 2, method: 'degenerate-samples' });
    expect(() => fitReverseWeibull([1, 2])).toThrow(/at least 3/);
    expect(() => fitReverseWeibull([1, 2, NaN])).toThrow(/NaN or Inf/);
  });
});

describe('sampling balls', () => {
  it('points lie inside the L2, L∞ and L1 balls and reach near their boundary', () => {
    const center = Float32Array.from([0.1, -0.2, 0.3, 0.0, 0.5]);
    const out = new Float32Array(2000 * 5);
    for (const norm of ['l2', 'linf', 'l1'] as const) {
      sampleBall(center, 2000, 0.7, norm, createRandom(3), out);
      let largest = 0;
      for (let s = 0; s < 2000; s++) {
        const d = Array.from(out.subarray(s * 5, s * 5 + 5), (v, i) => v - center[i]);
        const size = norm === 'l2' ? Math.hypot(...d) : norm === 'linf' ? Math.max(...d.map(Math.abs)) : d.reduce((a, v) => a + Math.abs(v), 0);
        expect(size).toBeLessThanOrEqual(0.7 + 1e-6);
        largest = Math.max(largest, size);
      }
      expect(largest).toBeGreaterThan(0.68);
    }
  });
});

describe('CLEVER', () => {
  const W = [
    [0.5, -1, 2, 0.25, 0, 1],
    [-0.5, 0.3, 0.1, 1, -2, 0.5],
    [1, 1, -1, 0, 0.5, -0.25],
  ];
  const B = [0.1, -0.2, 0.3];
  const x0 = [0.2, 0.9, 0.4, 0.1, 0.7, 0.3];

  it('on a linear model the Lipschitz estimate is ‖w_c − w_j‖_dual (within 5%) for L2, L∞, L1; score = min margin/L', async () => {
    const model = multinomialLinearModel(W, B, { bounds: [-10, 10] });
    const z = linearLogits(W, B, x0);
    const c = z.indexOf(Math.max(...z));
    for (const norm of ['l2', 'linf', 'l1'] as const) {
      const report = await expectNoLeaks(() => cleverScores(model, Float32Array.from(x0), 1, { norm, radius: 0.5, batches: 10, samplesPerBatch: 16, target: 'all' }));
      const sample = report.samples[0];
      expect(sample.predicted).toBe(c);
      expect(sample.targets.map((t) => t.targetClass)).toEqual([0, 1, 2].filter((k) => k !== c));
      for (const t of sample.targets) {
        const diff = W[c].map((w, i) => w - W[t.targetClass][i]);
        const dual = norm === 'l2' ? Math.hypot(...diff) : norm === 'linf' ? diff.reduce((s, v) => s + Math.abs(v), 0) : Math.max(...diff.map(Math.abs));
        expect(Math.abs(t.lipschitz - dual) / dual, `${norm} target ${t.targetClass}`).toBeLessThan(0.05);
        expect(t.margin).toBeCloseTo(z[c] - z[t.targetClass], 4);
        expect(t.score).toBeCloseTo(Math.min(t.margin / t.lipschitz, 0.5), 6);
      }
      expect(sample.score).toBe(Math.min(...sample.targets.map((t) => t.score)));
    }
    model.dispose();
  });

  it('on a quadratic margin the Weibull fit extrapolates to the true maximum gradient norm (within 5%) beyond the sampled maximum', async () => {
    // Two logits (0, a·x + ½b‖x‖²): ∇(z1 − z0) = a + b·x, whose largest L2 norm on the ball B(x0, R) is ‖a + b·x0‖ + |b|·R.
    const d = 4;
    const random = createRandom(5);
    const a = Array.from({ length: d }, () => random.normal());
    const b = 1.5;
    const center = Array.from({ length: d }, () => 0.5 * random.next());
    const R = 0.5;
    const aTensor = tf.tensor1d(a);
    const logitsSync = (x: Tensor): Tensor2D =>
      tf.tidy(() => {
        const flat = tf.reshape(x, [x.shape[0], d]) as Tensor2D;
        const z1 = tf.add(tf.sum(tf.mul(flat, aTensor), 1), tf.mul(0.5 * b, tf.sum(tf.square(flat), 1)));
        return tf.stack([tf.zerosLike(z1), z1], 1) as Tensor2D;
      });
    const model: DifferentiableModel = {
      id: 'quadratic',
      format: 'tfjs-layers',
      inputShape: [d],
      numClasses: 2,
      bounds: [-10, 10],
      logits: async (x) => logitsSync(x),
      logitsSync,
      lossAndGradientSync: () => {
        throw new Error('not used');
      },
      lossAndGradient: async () => {
        throw new Error('not used');
      },
      dispose: () => undefined,
    };
    const gradAtCenter = a.map((v, i) => v + b * center[i]);
    const truth = Math.hypot(...gradAtCenter) + b * R;
    const report = await cleverScores(model, Float32Array.from(center), 1, { norm: 'l2', radius: R, batches: 100, samplesPerBatch: 64, seed: 2 });
    const t = report.samples[0].targets[0];
    expect(t.maxSampled).toBeLessThan(truth);
    expect(Math.abs(t.lipschitz - truth) / truth).toBeLessThan(0.05);
    expect(Math.abs(t.lipschitz - truth)).toBeLessThan(Math.abs(t.maxSampled - truth));
    aTensor.dispose();
  });

  it('rejects bad options and black-box models, naming the fix', async () => {
    const model = multinomialLinearModel(W, B);
    await expect(cleverScores(model, Float32Array.from(x0), 1, { target: 7 })).rejects.toThrow(/does not exist; the model has 3 classes/);
    await expect(cleverScores(model, Float32Array.from(x0), 1, { batches: 1 })).rejects.toThrow(/batches/);
    const blackBox = { id: 'bb', format: model.format, inputShape: model.inputShape, numClasses: 3, bounds: model.bounds, logits: (x: Tensor) => model.logits(x), dispose: () => undefined };
    await expect(cleverScores(blackBox, Float32Array.from(x0), 1)).rejects.toThrow(/needs input gradients/);
  });
});
