/**
 * Properties every corruption must have (fast-check over random images of random size and channels): shape and
 * [0, 1] range kept, deterministic with a seed, bad input rejected; different seeds differ for random ones;
 * the mean absolute change grows with severity on real MNIST digits; and known answers for single corruptions.
 */
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { isRampartError } from '../errors.js';
import { createRandom } from '../engine/random.js';
import { loadAll } from '../data/load-all.js';
import { openDataset } from '../data/open.js';
import { corruptionRegistry } from './builtin.js';
import type { ImageShape } from './define.js';
import { cannyEdges } from './canny-edges.js';
import { convolve, diskBlur, diskKernel, motionBlur } from './image/filters.js';
import { jpegRoundTrip } from './image/jpeg.js';
import { syntheticRgb } from './image/synthetic.js';

const all = corruptionRegistry.list();
const DIGIT: ImageShape = [28, 28, 1];
const RGB: ImageShape = [32, 32, 3];
let digits: Float32Array[] = [];
const rgb = syntheticRgb();

beforeAll(async () => {
  const data = await loadAll(await openDataset('mnist:test', { limit: 6 }));
  digits = Array.from({ length: 6 }, (_, i) => data.x.slice(i * 784, (i + 1) * 784));
});

function meanAbsChange(id: string, images: Float32Array[], shape: ImageShape, severity: number, seeds = 3): number {
  let total = 0;
  let n = 0;
  for (let seed = 0; seed < seeds; seed++) {
    for (const image of images) {
      const out = corruptionRegistry.get(id).apply(image, shape, severity, createRandom(seed + 17));
      for (let i = 0; i < out.length; i++) total += Math.abs(out[i] - image[i]);
      n += out.length;
    }
  }
  return total / n;
}

describe('corruption registry', () => {
  it('has the MNIST-C suite (identity + 15), the 15 common corruptions and the 4 held-out ones, in paper order', () => {
    expect(corruptionRegistry.listBySuite('mnist-c').map((c) => c.id)).toEqual([
      'identity', 'shot-noise', 'impulse-noise', 'glass-blur', 'motion-blur', 'shear', 'scale', 'rotate', 'brightness',
      'translate', 'stripe', 'fog', 'spatter', 'dotted-line', 'zigzag', 'canny-edges',
    ]);
    expect(corruptionRegistry.listBySuite('common').map((c) => c.id)).toEqual([
      'gaussian-noise', 'shot-noise', 'impulse-noise', 'defocus-blur', 'glass-blur', 'motion-blur', 'zoom-blur', 'snow',
      'frost', 'fog', 'brightness', 'contrast', 'elastic-transform', 'pixelate', 'jpeg-compression',
    ]);
    expect(corruptionRegistry.listBySuite('common-extra').map((c) => c.id)).toEqual(['speckle-noise', 'gaussian-blur', 'spatter', 'saturate']);
    for (const c of corruptionRegistry.listBySuite('mnist-c')) expect(c.mnistcSeverity).toBeGreaterThanOrEqual(1);
  });

  it('finds ids with underscores and names the choices for unknown ids', () => {
    expect(corruptionRegistry.get('shot_noise').id).toBe('shot-noise');
    expect(() => corruptionRegistry.get('rain')).toThrow(/Unknown corruption "rain".*shot-noise/);
  });

  it('picks the severity table by resolution: MNIST-C ≤ 28 px gray, CIFAR-10-C ≤ 32 px, ImageNet-C above', () => {
    const shot = corruptionRegistry.get('shot-noise');
    expect(shot.parameters([28, 28, 1], 1)).toEqual({ table: 'mnist', params: 60 });
    expect(shot.parameters([32, 32, 3], 1)).toEqual({ table: 'cifar', params: 500 });
    expect(shot.parameters([64, 64, 3], 5)).toEqual({ table: 'imagenet', params: 3 });
  });
});

describe.each(all.map((c) => [c.id, c] as const))('%s', (id, corruption) => {
  it('keeps shape and [0, 1] range and is deterministic with a seed (random images of any size ≥ 8, 1 or 3 channels)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 20 }),
        fc.integer({ min: 8, max: 20 }),
        fc.constantFrom(1, 3),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (h, w, c, severity, seed) => {
          const shape: ImageShape = [h, w, c];
          const source = createRandom(seed ^ 0x5eed);
          const image = Float32Array.from({ length: h * w * c }, () => source.next());
          const before = image.slice();
          const a = corruption.apply(image, shape, severity, createRandom(seed));
          const b = corruption.apply(image, shape, severity, createRandom(seed));
          expect(a.length).toBe(image.length);
          expect(image).toEqual(before); // pure: input untouched
          for (const v of a) expect(v >= 0 && v <= 1).toBe(true);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 6, seed: 42 },
    );
  });

  it('rejects images smaller than 8×8, 2 channels and severities outside 1..5', () => {
    const r = createRandom(0);
    const check = (f: () => unknown, pattern: RegExp): void => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isRampartError(e)).toBe(true);
        expect((e as Error).message).toMatch(pattern);
      }
    };
    check(() => corruption.apply(new Float32Array(16), [4, 4, 1], 1, r), /at least 8×8/);
    check(() => corruption.apply(new Float32Array(200), [10, 10, 2], 1, r), /1 or 3 channels/);
    check(() => corruption.apply(new Float32Array(100), [10, 10, 1], 6, r), /severity must be an integer 1\.\.5/);
  });

  if (corruption.random) {
    it('differs between seeds (some of seeds 2..8 give another result than seed 1; shear/rotate/translate only flip a sign)', () => {
      const s = corruption.mnistcSeverity ?? 5;
      for (const [image, shape, severity] of [[digits[0], DIGIT, s], [rgb, RGB, 5]] as const) {
        const first = corruption.apply(image, shape, severity, createRandom(1));
        let differs = 0;
        for (let seed = 2; seed <= 8; seed++) {
          const other = corruption.apply(image, shape, severity, createRandom(seed));
          if (!first.every((v, i) => v === other[i])) differs++;
        }
        expect(differs).toBeGreaterThanOrEqual(corruption.id === 'shear' || corruption.id === 'rotate' || corruption.id === 'translate' ? 1 : 7);
      }
    });
  }
});

// The reference tables themselves are not monotone in pixel change for these (documented in their headers).
const NOT_MONOTONE = new Set(['spatter', 'elastic-transform', 'saturate']);

describe('severity', () => {
  it.each(all.filter((c) => c.graded && !NOT_MONOTONE.has(c.id)).map((c) => c.id))(
    '%s: mean absolute change grows with severity on real MNIST digits (5% tolerance per step) and 5 > 1 on RGB',
    (id) => {
      const macs = [1, 2, 3, 4, 5].map((s) => meanAbsChange(id, digits, DIGIT, s));
      for (let s = 1; s < 5; s++) expect(macs[s]).toBeGreaterThanOrEqual(macs[s - 1] * 0.95);
      expect(macs[4]).toBeGreaterThan(macs[0] * 1.1);
      if (id !== 'frost') expect(meanAbsChange(id, [rgb], RGB, 5)).toBeGreaterThan(meanAbsChange(id, [rgb], RGB, 1));
    },
  );

  it('ungraded corruptions are the same at every severity', () => {
    for (const c of all.filter((d) => !d.graded && d.id !== 'saturate')) {
      expect(c.apply(digits[1], DIGIT, 5, createRandom(3))).toEqual(c.apply(digits[1], DIGIT, 1, createRandom(3)));
    }
  });
});

describe('known answers', () => {
  it('identity copies; stripe inverts the outer quarters; brightness on gray adds c', () => {
    const d = digits[0];
    expect(corruptionRegistry.get('identity').apply(d, DIGIT, 3, createRandom(0))).toEqual(d);
    const striped = corruptionRegistry.get('stripe').apply(d, DIGIT, 1, createRandom(0));
    expect(striped[0]).toBeCloseTo(1 - d[0], 6);
    expect(striped[27]).toBeCloseTo(1 - d[27], 6);
    expect(striped[14 * 28 + 14]).toBe(d[14 * 28 + 14]);
    const bright = corruptionRegistry.get('brightness').apply(d, DIGIT, 2, createRandom(0));
    for (let i = 0; i < 784; i++) expect(bright[i]).toBeCloseTo(Math.min(1, d[i] + 0.2), 5);
  });

  it('contrast keeps the mean of an unclipped image; blurs keep a constant image', () => {
    const flat = new Float32Array(32 * 32 * 3).fill(0.4);
    for (const id of ['gaussian-blur', 'defocus-blur', 'zoom-blur', 'motion-blur', 'glass-blur', 'pixelate']) {
      const out = corruptionRegistry.get(id).apply(flat, RGB, 5, createRandom(0));
      for (const v of out) expect(v).toBeCloseTo(0.4, 2);
    }
    const out = corruptionRegistry.get('contrast').apply(rgb, RGB, 5, createRandom(0));
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(rgb), 4);
  });

  it('scale 0.5 halves a centred square; translate shifts by 3 px at MNIST-C severity', () => {
    const sq = new Float32Array(28 * 28);
    for (let y = 4; y < 24; y++) for (let x = 4; x < 24; x++) sq[y * 28 + x] = 1;
    const small = corruptionRegistry.get('scale').apply(sq, DIGIT, 5, createRandom(0));
    const mass = small.reduce((s, v) => s + v, 0);
    expect(mass).toBeGreaterThan(400 / 4 - 15);
    expect(mass).toBeLessThan(400 / 4 + 15);
    const moved = corruptionRegistry.get('translate').apply(sq, DIGIT, 3, createRandom(0));
    expect(moved.reduce((s, v) => s + v, 0)).toBeCloseTo(400, 3);
    expect(moved).not.toEqual(sq);
  });

  it('shot noise is unbiased: the mean of many draws ≈ the image', () => {
    const image = new Float32Array(28 * 28).fill(0.5);
    const out = corruptionRegistry.get('shot-noise').apply(image, DIGIT, 5, createRandom(4));
    const mean = out.reduce((s, v) => s + v, 0) / out.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('canny finds the outline of a square and nothing inside or far outside', () => {
    const sq = new Float32Array(20 * 20);
    for (let y = 6; y < 14; y++) for (let x = 6; x < 14; x++) sq[y * 20 + x] = 1;
    const edges = cannyEdges(sq, 20, 20);
    expect(edges[10 * 20 + 10]).toBe(0);
    expect(edges[1 * 20 + 1]).toBe(0);
    let onBorder = 0;
    for (let y = 4; y < 16; y++) for (let x = 4; x < 16; x++) onBorder += edges[y * 20 + x];
    const total = edges.reduce((s, v) => s + v, 0);
    expect(total).toBeGreaterThan(20);
    expect(onBorder).toBe(total);
  });

  it('the prefix-sum disk blur equals a direct convolution with the aliased disk', () => {
    const image = Float32Array.from({ length: 20 * 17 * 3 }, (_, i) => ((i * 37) % 101) / 100);
    for (const r of [0.5, 1.5, 3, 6]) {
      const { kernel, side } = diskKernel(r, 0);
      const direct = convolve(image, [20, 17, 3], kernel, side);
      const fast = diskBlur(image, [20, 17, 3], r, 0);
      for (let i = 0; i < image.length; i++) expect(fast[i]).toBeCloseTo(direct[i], 4);
    }
  });

  it('motion blur along +x averages the pixels to the left with one-sided Gaussian weights', () => {
    const image = new Float32Array(10 * 10);
    image[5 * 10 + 4] = 1;
    const out = motionBlur(image, [10, 10, 1], 3, 1, 0);
    const w = [1, Math.exp(-0.5), Math.exp(-2)];
    const sum = w[0] + w[1] + w[2];
    expect(out[5 * 10 + 4]).toBeCloseTo(w[0] / sum, 5);
    expect(out[5 * 10 + 5]).toBeCloseTo(w[1] / sum, 5);
    expect(out[5 * 10 + 6]).toBeCloseTo(w[2] / sum, 5);
    expect(out[5 * 10 + 3]).toBeCloseTo(0, 6);
  });

  it('the JPEG round trip matches a jpeg-js encode/decode within rounding', () => {
    for (const quality of [80, 25, 7]) {
      const mine = jpegRoundTrip(rgb, RGB, quality);
      const rgba = Buffer.alloc(32 * 32 * 4);
      for (let p = 0; p < 1024; p++) {
        for (let k = 0; k < 3; k++) rgba[p * 4 + k] = Math.round(rgb[p * 3 + k] * 255);
        rgba[p * 4 + 3] = 255;
      }
      const decoded = jpeg.decode(jpeg.encode({ data: rgba, width: 32, height: 32 }, quality).data, { useTArray: true });
      let diff = 0;
      let change = 0;
      for (let p = 0; p < 1024; p++) for (let k = 0; k < 3; k++) {
        diff += Math.abs(decoded.data[p * 4 + k] / 255 - mine[p * 3 + k]);
        change += Math.abs(mine[p * 3 + k] - rgb[p * 3 + k]);
      }
      expect(diff / 3072).toBeLessThan(0.01); // ≤ 2.5/255 on average
      expect(change / 3072).toBeGreaterThan(0.005); // and it really is lossy
    }
  });
});
