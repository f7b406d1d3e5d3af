import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeIntermediateBounds, specLowerBounds, type SplitState } from './crown.js';
import { forwardRelu, intervalBounds } from './interval.js';
import { createRandom } from '../engine/random.js';
import { randomBox, randomNetwork, samplePoints } from '../../test/helpers/relu-networks.js';
import type { InputBox, ReluNetwork } from './problem.js';

/** Pre-activations of every layer at x. */
function preActivations(network: ReluNetwork, x: Float64Array): Float64Array[] {
  const out: Float64Array[] = [];
  let h = x;
  network.layers.forEach((layer, k) => {
    const z = new Float64Array(layer.outSize);
    for (let i = 0; i < layer.outSize; i++) {
      let v = layer.bias[i];
      for (let j = 0; j < layer.inSize; j++) v += layer.weights[i * layer.inSize + j] * h[j];
      z[i] = v;
    }
    out.push(z);
    h = k < network.layers.length - 1 ? z.map((v) => Math.max(v, 0)) : z;
  });
  return out;
}

function randomRows(seed: number, count: number, outputs: number): Float64Array {
  const random = createRandom(seed);
  return new Float64Array(count * outputs).map(() => random.normal());
}

/** Counts failed soundness checks (expect() per sample is too slow for thousands of checks). */
let failures = 0;
const check = (ok: boolean) => {
  if (!ok) failures++;
};

const dot = (row: Float64Array, offset: number, y: Float64Array) => y.reduce((s, v, j) => s + row[offset + j] * v, 0);
const tolerance = 1e-9;

describe('CROWN bounds (Float64)', () => {
  it('hand-computed: y = relu(x) − relu(−x) on [−1, 2] is x; CROWN bounds y ≥ −1.67 (chord slack), interval −1', () => {
    const identity: ReluNetwork = {
      inputSize: 1,
      outputSize: 1,
      layers: [
        { inSize: 1, outSize: 2, weights: Float64Array.of(1, -1), bias: Float64Array.of(0, 0) },
        { inSize: 2, outSize: 1, weights: Float64Array.of(1, -1), bias: Float64Array.of(0) },
      ],
    };
    const box = { lower: Float64Array.of(-1), upper: Float64Array.of(2) };
    const bounds = computeIntermediateBounds(identity, box);
    expect(Array.from(bounds.lower[0])).toEqual([-1, -2]);
    expect(Array.from(bounds.upper[0])).toEqual([2, 1]);
    // min y: h1 ≥ 1·z1 (u=2 > −l=1 → α=1) = x; −h2 ≥ −(1/3)(z2 + 2) = −(1/3)(−x + 2) → y ≥ x + x/3 − 2/3 ≥ −1 − 1/3 − 2/3 = −2.
    // The interval bound is max(h1) ... : h1 ∈ [0, 2], h2 ∈ [0, 1] → y ≥ −1, so the floor makes the bound −1.
    const spec = specLowerBounds(identity, box, bounds, Float64Array.of(1), Float64Array.of(0));
    expect(spec.lower[0]).toBeCloseTo(-1, 12);
    // Upper side: −y ≥ ?  True max of y is 2; bound must be ≤ −2 for −y.
    const neg = specLowerBounds(identity, box, bounds, Float64Array.of(-1), Float64Array.of(0));
    expect(neg.lower[0]).toBeLessThanOrEqual(-2 + tolerance);
    // With the ReLUs split (z1 active, z2 inactive ⇒ x ≥ 0 region) the bound is exact there: y = x ≥ −1 … as linear x, min over box −1.
    const splits: SplitState = [Int8Array.of(1, -1)];
    const split = computeIntermediateBounds(identity, box, splits);
    expect(Array.from(split.lower[0])).toEqual([0, -2]);
    expect(Array.from(split.upper[0])).toEqual([2, 0]);
  });

  it('contains sampled values, is never looser than interval bounds, and splits stay sound (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 3 }), (seed, inputs, width, depth) => {
        const sizes = [inputs, ...Array.from({ length: depth }, () => width), 3];
        const network = randomNetwork(seed, sizes);
        const box = randomBox(seed, inputs);
        const rows = randomRows(seed, 2, 3);
        const rhs = Float64Array.of(0.1, -0.2);
        const points = samplePoints(seed + 7, box, 60);
        const ibp = intervalBounds(network, box);
        for (const mode of ['backward', 'forward', 'interval'] as const) {
          const bounds = computeIntermediateBounds(network, box, undefined, { intermediate: mode });
          for (let k = 0; k < bounds.lower.length; k++) {
            for (let i = 0; i < bounds.lower[k].length; i++) {
              if (mode !== 'forward') {
                check(bounds.lower[k][i] >= ibp[k].lower[i] - tolerance);
                check(bounds.upper[k][i] <= ibp[k].upper[i] + tolerance);
              }
            }
          }
          for (const alphaIterations of [0, 3]) {
            const spec = specLowerBounds(network, box, bounds, rows, rhs, undefined, { alphaIterations });
            // Never looser than the interval bound of each row.
            const out = ibp[ibp.length - 1];
            for (let r = 0; r < 2; r++) {
              let interval = -rhs[r];
              for (let j = 0; j < 3; j++) interval += rows[r * 3 + j] > 0 ? rows[r * 3 + j] * out.lower[j] : rows[r * 3 + j] * out.upper[j];
              check(spec.lower[r] >= interval - tolerance);
            }
            for (const x of points) {
              const pre = preActivations(network, x);
              for (let k = 0; k < bounds.lower.length; k++) {
                for (let i = 0; i < pre[k].length; i++) {
                  check(pre[k][i] >= bounds.lower[k][i] - tolerance);
                  check(pre[k][i] <= bounds.upper[k][i] + tolerance);
                }
              }
              const y = forwardRelu(network, x);
              for (let r = 0; r < 2; r++) check(dot(rows, r * 3, y) - rhs[r] >= spec.lower[r] - tolerance);
            }
          }
        }
        // Split constraints: bounds hold for the samples that satisfy them.
        const random = createRandom(seed);
        const splits: SplitState = network.layers.slice(0, -1).map((l) => Int8Array.from({ length: l.outSize }, () => (random.next() < 0.2 ? (random.next() < 0.5 ? 1 : -1) : 0)));
        const bounds = computeIntermediateBounds(network, box, splits);
        const spec = specLowerBounds(network, box, bounds, rows, rhs, splits);
        for (const x of points) {
          const pre = preActivations(network, x);
          const inside = splits.every((s, k) => Array.from(s).every((v, i) => v === 0 || (v === 1 ? pre[k][i] >= 0 : pre[k][i] <= 0)));
          if (!inside) continue;
          const y = forwardRelu(network, x);
          for (let r = 0; r < 2; r++) check(dot(rows, r * 3, y) - rhs[r] >= spec.lower[r] - tolerance);
        }
      }),
      { numRuns: 150 },
    );
    expect(failures).toBe(0);
  });

  it('a parent box\u2019s bounds (concrete and linear) stay sound on its sub-boxes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const network = randomNetwork(seed, [4, 8, 8, 8, 2]);
        const box = randomBox(seed, 4);
        const parent = computeIntermediateBounds(network, box);
        const random = createRandom(seed);
        const lower = box.lower.map((l, i) => l + 0.5 * random.next() * (box.upper[i] - l));
        const upper = lower.map((l, i) => l + random.next() * (box.upper[i] - l));
        const child: InputBox = { lower, upper };
        for (const mode of ['interval', 'backward'] as const) {
          const bounds = computeIntermediateBounds(network, child, undefined, { intermediate: mode }, parent);
          const rows = Float64Array.of(1, -1);
          const spec = specLowerBounds(network, child, bounds, rows, Float64Array.of(0));
          for (const x of samplePoints(seed + 3, child, 40)) {
            const pre = preActivations(network, x);
            for (let k = 0; k < bounds.lower.length; k++) {
              for (let i = 0; i < pre[k].length; i++) {
                check(pre[k][i] >= bounds.lower[k][i] - tolerance);
                check(pre[k][i] <= bounds.upper[k][i] + tolerance);
              }
            }
            const y = forwardRelu(network, x);
            check(y[0] - y[1] >= spec.lower[0] - tolerance);
          }
        }
      }),
      { numRuns: 80 },
    );
    expect(failures).toBe(0);
  });

  it('backward CROWN is at least as tight as forward symbolic bounds on the output spec of a deeper net', () => {
    const network = randomNetwork(11, [5, 20, 20, 20, 20, 5]);
    const box = randomBox(11, 5);
    const rows = randomRows(3, 4, 5);
    const rhs = new Float64Array(4);
    const backward = specLowerBounds(network, box, computeIntermediateBounds(network, box, undefined, { intermediate: 'backward' }), rows, rhs);
    const forward = specLowerBounds(network, box, computeIntermediateBounds(network, box, undefined, { intermediate: 'forward' }), rows, rhs);
    const sumB = backward.lower.reduce((a, b) => a + b, 0);
    const sumF = forward.lower.reduce((a, b) => a + b, 0);
    expect(sumB).toBeGreaterThanOrEqual(sumF - 1e-9);
  });
});
