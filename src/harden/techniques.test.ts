/**
 * Each training technique shows its effect on hand-checkable cases: clipping bounds the update norm, weight
 * decay and L1 add their terms, schedules hit their landmarks, mixup targets are convex combinations, cutmix's λ
 * is the uncovered area, augmentations are seeded, catastrophic-overfitting detection fires on a constructed
 * collapse and stays quiet on healthy training.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRandom } from '../engine/random.js';
import { createOptimizer, globalNorm } from './optimizer.js';
import { learningRateAt, rampValue } from './schedules.js';
import { selectionScore } from './options.js';
import { detectCatastrophicOverfitting } from './adversarial/overfitting.js';
import { createMixup } from './augment/mixup.js';
import { createCutmix } from './augment/cutmix.js';
import { augmentationIds, createAugmentation, parseAugmentList } from './augment/builtin.js';
import { project, randomStart } from './adversarial/define.js';

const weightsOf = (values: number[]) => new Map([['w', Float32Array.from(values)]]);

describe('optimizer regularisation', () => {
  it('gradient clipping by norm bounds the SGD update norm by lr · clipNorm', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.float({ min: Math.fround(0.01), max: 5, noNaN: true }), (g, clip) => {
        const w = weightsOf(g.map(() => 0));
        const opt = createOptimizer({ kind: 'sgd', momentum: 0, clipNorm: clip });
        opt.step(w, new Map([['w', Float32Array.from(g)]]), 0.5);
        expect(globalNorm([w.get('w')!])).toBeLessThanOrEqual(0.5 * clip * (1 + 1e-5) + 1e-6);
      }),
    );
  });

  it('gradient clipping by value bounds every entry of the update', () => {
    const w = weightsOf([0, 0, 0]);
    createOptimizer({ kind: 'sgd', momentum: 0, clipValue: 0.1 }).step(w, new Map([['w', Float32Array.from([5, -0.05, -3])]]), 1);
    expect([...w.get('w')!].map((v) => +v.toFixed(6))).toEqual([-0.1, 0.05, 0.1]);
  });

  it('L2 weight decay adds λw and L1 adds λ·sign(w) to the gradient', () => {
    const w = weightsOf([2, -1]);
    createOptimizer({ kind: 'sgd', momentum: 0, weightDecay: 0.5 }).step(w, new Map([['w', Float32Array.from([0, 0])]]), 1);
    expect([...w.get('w')!]).toEqual([1, -0.5]);
    const v = weightsOf([2, -1]);
    createOptimizer({ kind: 'sgd', momentum: 0, l1: 0.25 }).step(v, new Map([['w', Float32Array.from([0, 0])]]), 1);
    expect([...v.get('w')!]).toEqual([1.75, -0.75]);
  });

  it('SGD momentum accumulates (m ← μm + g) and Adam takes a first step of ≈ lr · sign(g)', () => {
    const w = weightsOf([0]);
    const sgd = createOptimizer({ kind: 'sgd', momentum: 0.9 });
    sgd.step(w, new Map([['w', Float32Array.from([1])]]), 1);
    sgd.step(w, new Map([['w', Float32Array.from([1])]]), 1);
    expect(w.get('w')![0]).toBeCloseTo(-(1 + 1.9), 6);
    const a = weightsOf([0, 0]);
    createOptimizer({ kind: 'adam' }).step(a, new Map([['w', Float32Array.from([3, -0.01])]]), 0.1);
    expect(a.get('w')![0]).toBeCloseTo(-0.1, 5);
    expect(a.get('w')![1]).toBeCloseTo(0.1, 4);
  });

  it('optimizer state round-trips (restore continues identically)', () => {
    const grads = () => new Map([['w', Float32Array.from([0.3, -0.2])]]);
    const a = weightsOf([1, 1]);
    const optA = createOptimizer({ kind: 'adam' });
    optA.step(a, grads(), 0.01);
    const saved = optA.state();
    const b = weightsOf([...a.get('w')!]);
    const optB = createOptimizer({ kind: 'adam' });
    optB.restore(saved);
    optA.step(a, grads(), 0.01);
    optB.step(b, grads(), 0.01);
    expect([...b.get('w')!]).toEqual([...a.get('w')!]);
  });
});

describe('schedules', () => {
  it('cosine is half the peak midway and 0 at the end; step multiplies by γ every k epochs; one-cycle peaks at the warm-up end', () => {
    expect(learningRateAt({ kind: 'cosine' }, 1e-3, 50, 100, 10)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt({ kind: 'cosine' }, 1e-3, 100, 100, 10)).toBeCloseTo(0, 12);
    expect(learningRateAt({ kind: 'step', every: 2, gamma: 0.1 }, 1, 39, 100, 10)).toBeCloseTo(0.1, 12);
    expect(learningRateAt({ kind: 'one-cycle', warmup: 0.4 }, 1, 40, 100, 10)).toBeCloseTo(1, 12);
    expect(learningRateAt({ kind: 'one-cycle', warmup: 0.4 }, 1, 0, 100, 10)).toBeCloseTo(0.04, 12);
    expect(learningRateAt({ kind: 'one-cycle', warmup: 0.4 }, 1, 70, 100, 10)).toBeCloseTo(0.5, 12);
  });

  it('a linear ramp goes from its start value to the target over [start, end)', () => {
    const ramp = { from: 0, start: 0.1, end: 0.5 };
    expect(rampValue(ramp, 0.3, 0)).toBe(0);
    expect(rampValue(ramp, 0.3, 0.3)).toBeCloseTo(0.15, 12);
    expect(rampValue(ramp, 0.3, 0.9)).toBe(0.3);
    expect(rampValue(undefined, 0.3, 0)).toBe(0.3);
  });

  it('selection scores: robust, clean, weighted', () => {
    expect(selectionScore('robust', 0.9, 0.5, 3)).toBe(0.5);
    expect(selectionScore('clean', 0.9, 0.5, 3)).toBe(0.9);
    expect(selectionScore('weighted:0.5', 0.9, 0.5, 3)).toBeCloseTo(0.7, 12);
    expect(selectionScore('last', 0.9, 0.5, 3)).toBe(3);
    expect(selectionScore('verified', 0.9, 0.5, 3, 0.4)).toBe(0.4);
    expect(selectionScore('verified', 0.9, 0.5, 3)).toBe(0.5); // no bound computed: falls back to robust
  });
});

describe('catastrophic-overfitting detection', () => {
  it('fires when PGD accuracy collapses while FGSM accuracy rises (Wong et al. 2020, Fig. 2)', () => {
    const probes = [
      { pgd: 0.3, fgsm: 0.4 },
      { pgd: 0.55, fgsm: 0.62 },
      { pgd: 0.6, fgsm: 0.66 },
      { pgd: 0.05, fgsm: 0.9 },
    ];
    const verdict = detectCatastrophicOverfitting(probes, 0.2);
    expect(verdict.fired).toBe(true);
    expect(verdict.bestIndex).toBe(2);
    expect(verdict.reason).toMatch(/60\.0% to 5\.0%/);
  });

  it('stays quiet on healthy training and on a drop where FGSM accuracy falls too (plain divergence)', () => {
    expect(detectCatastrophicOverfitting([{ pgd: 0.3, fgsm: 0.4 }, { pgd: 0.5, fgsm: 0.6 }, { pgd: 0.55, fgsm: 0.62 }]).fired).toBe(false);
    expect(detectCatastrophicOverfitting([{ pgd: 0.6, fgsm: 0.7 }, { pgd: 0.1, fgsm: 0.2 }]).fired).toBe(false);
  });
});

describe('augmentations', () => {
  const images = (count: number, h = 8, w = 8) => {
    const x = new Float32Array(count * h * w);
    for (let n = 0; n < count; n++) x.fill(n + 1, n * h * w, (n + 1) * h * w);
    return { x, labels: Int32Array.from({ length: count }, (_, i) => i % 3), count, sampleShape: [h, w, 1] as const };
  };

  it('mixup targets are convex combinations: x̃ = λxᵢ + (1−λ)xⱼ with λ ∈ [0, 1] and yⱼ the partner label', () => {
    const batch = images(16);
    const out = createMixup({ alpha: 0.4 }).apply(batch, createRandom(3));
    for (let n = 0; n < 16; n++) {
      const l = out.lambda![n];
      expect(l).toBeGreaterThanOrEqual(0);
      expect(l).toBeLessThanOrEqual(1);
      // images are constant n+1, so the partner j satisfies x̃ = λ(n+1) + (1−λ)(j+1)
      const partnerValue = (out.x[n * 64] - l * (n + 1)) / (1 - l);
      const j = Math.round(partnerValue) - 1;
      if (l < 0.999) expect(partnerValue).toBeCloseTo(j + 1, 3);
      if (l < 0.999) expect(out.mixLabels![n]).toBe(batch.labels[j]);
      for (let i = 1; i < 64; i++) expect(out.x[n * 64 + i]).toBeCloseTo(out.x[n * 64], 5);
    }
  });

  it('cutmix: λ equals the fraction of pixels still from the original image', () => {
    // labels = image index, so mixLabels names the partner
    const batch = { ...images(12, 10, 10), labels: Int32Array.from({ length: 12 }, (_, i) => i) };
    const out = createCutmix({ alpha: 1 }).apply(batch, createRandom(5));
    let checked = 0;
    for (let n = 0; n < 12; n++) {
      const partner = out.mixLabels![n];
      if (partner === n) continue; // a box pasted from itself changes nothing
      let own = 0;
      let theirs = 0;
      for (let i = 0; i < 100; i++) {
        if (out.x[n * 100 + i] === n + 1) own++;
        if (out.x[n * 100 + i] === partner + 1) theirs++;
      }
      expect(own + theirs).toBe(100);
      expect(own / 100).toBeCloseTo(out.lambda![n], 6);
      checked++;
    }
    expect(checked).toBeGreaterThan(8);
  });

  it('every augmentation is seeded (same seed, same output), keeps the shape and labels', () => {
    const batch = images(4);
    for (const id of augmentationIds) {
      if (id === 'saturation') continue; // RGB only, checked below
      const a = createAugmentation({ id });
      const one = a.apply(batch, createRandom(11));
      const two = a.apply(batch, createRandom(11));
      expect(one.x.length, id).toBe(batch.x.length);
      expect([...one.x], id).toEqual([...two.x]);
      expect([...one.labels], id).toEqual([...batch.labels]);
    }
  });

  it('rotate by 0° and translate by 0 pixels are the identity; flip twice is the identity', () => {
    const random = createRandom(2);
    const x = Float32Array.from({ length: 2 * 36 }, () => random.next());
    const batch = { x, labels: new Int32Array(2), count: 2, sampleShape: [6, 6, 1] };
    expect([...createAugmentation({ id: 'rotate', options: { degrees: 0 } }).apply(batch, createRandom(1)).x].map((v) => +v.toFixed(5))).toEqual([...x].map((v) => +v.toFixed(5)));
    expect([...createAugmentation({ id: 'translate', options: { pixels: 0 } }).apply(batch, createRandom(1)).x]).toEqual([...x]);
    const flip = createAugmentation({ id: 'flip', options: { p: 1 } });
    const once = flip.apply(batch, createRandom(1)).x;
    expect([...once]).not.toEqual([...x]);
    expect([...flip.apply({ ...batch, x: once }, createRandom(1)).x]).toEqual([...x]);
  });

  it('gaussian noise has the requested σ; salt-and-pepper hits about the requested fraction; brightness/contrast stay in [0, 1]', () => {
    const n = 50;
    const batch = { x: new Float32Array(n * 400).fill(0.5), labels: new Int32Array(n), count: n, sampleShape: [20, 20, 1] };
    const noisy = createAugmentation({ id: 'gaussian-noise', options: { sigma: 0.25 } }).apply(batch, createRandom(4)).x;
    let sq = 0;
    for (const v of noisy) sq += (v - 0.5) ** 2;
    expect(Math.sqrt(sq / noisy.length)).toBeCloseTo(0.25, 2);
    const sp = createAugmentation({ id: 'salt-pepper', options: { amount: 0.1 } }).apply(batch, createRandom(4)).x;
    const hit = sp.filter((v) => v === 0 || v === 1).length / sp.length;
    expect(hit).toBeGreaterThan(0.08);
    expect(hit).toBeLessThan(0.12);
    for (const id of ['brightness', 'contrast']) {
      const out = createAugmentation({ id, options: { amount: 0.9 } }).apply(batch, createRandom(4)).x;
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out)).toBeLessThanOrEqual(1);
    }
  });

  it('saturation changes RGB images and leaves grey images alone; augmix mixes corruptions into [0, 1] images', () => {
    const random = createRandom(8);
    const rgb = { x: Float32Array.from({ length: 2 * 48 }, () => random.next()), labels: new Int32Array(2), count: 2, sampleShape: [4, 4, 3] };
    expect([...createAugmentation({ id: 'saturation' }).apply(rgb, createRandom(1)).x]).not.toEqual([...rgb.x]);
    const grey = images(2);
    expect([...createAugmentation({ id: 'saturation' }).apply(grey, createRandom(1)).x]).toEqual([...grey.x]);
    const digits = { x: Float32Array.from({ length: 2 * 784 }, () => random.next()), labels: new Int32Array(2), count: 2, sampleShape: [28, 28, 1] };
    const mixed = createAugmentation({ id: 'augmix' }).apply(digits, createRandom(1)).x;
    expect([...mixed]).not.toEqual([...digits.x]);
    expect(Math.min(...mixed)).toBeGreaterThanOrEqual(-1e-6);
    expect(Math.max(...mixed)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('the CLI list form parses options; unknown ids and bad options fail with a clear message', () => {
    expect(parseAugmentList('mixup,rotate:degrees=10:p=0.5')).toEqual([
      { id: 'mixup', options: {} },
      { id: 'rotate', options: { degrees: 10, p: 0.5 } },
    ]);
    expect(() => createAugmentation({ id: 'blur' })).toThrow(/Unknown augmentation "blur"/);
    expect(() => createAugmentation({ id: 'rotate', options: { degrees: 500 } })).toThrow(/degrees/);
  });
});

describe('training-attack projections', () => {
  it('random starts and projections stay inside the ε-ball and the bounds (L∞ and L2)', () => {
    const random = createRandom(1);
    const x = Float32Array.from({ length: 3 * 10 }, () => random.next());
    for (const norm of ['linf', 'l2'] as const) {
      const adv = randomStart(x, 3, norm, 0.3, [0, 1], random);
      for (let i = 0; i < adv.length; i++) adv[i] += random.normal();
      project(adv, x, 3, norm, 0.3, [0, 1]);
      for (let n = 0; n < 3; n++) {
        let d = 0;
        for (let i = n * 10; i < (n + 1) * 10; i++) {
          expect(adv[i]).toBeGreaterThanOrEqual(0);
          expect(adv[i]).toBeLessThanOrEqual(1);
          d = norm === 'linf' ? Math.max(d, Math.abs(adv[i] - x[i])) : d + (adv[i] - x[i]) ** 2;
        }
        expect(norm === 'linf' ? d : Math.sqrt(d)).toBeLessThanOrEqual(0.3 + 1e-6);
      }
    }
  });
});
