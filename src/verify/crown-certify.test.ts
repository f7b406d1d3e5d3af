/** Cross-check: the Float64 fast path (crown.ts) against the general tfjs CROWN of src/certify on random dense nets. */
import { describe, expect, it } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { encodeOnnxModel, parseOnnx } from '../engine/onnx/index.js';
import { boundGraphFromOnnx, crownLowerBounds } from '../certify/index.js';
import { computeIntermediateBounds, specLowerBounds } from './crown.js';
import { randomNetwork } from '../../test/helpers/relu-networks.js';
import { createRandom } from '../engine/random.js';
import type { ReluNetwork } from './problem.js';

function toOnnx(network: ReluNetwork): Uint8Array {
  const initializers = network.layers.flatMap((l, k) => [
    { name: `W${k}`, dims: [l.outSize, l.inSize], data: Array.from(l.weights) },
    { name: `b${k}`, dims: [l.outSize], data: Array.from(l.bias) },
  ]);
  const nodes = network.layers.flatMap((_, k) => {
    const input = k === 0 ? 'x' : `r${k - 1}`;
    const last = k === network.layers.length - 1;
    const gemm = { opType: 'Gemm', inputs: [input, `W${k}`, `b${k}`], outputs: [last ? 'y' : `z${k}`], attributes: { transB: 1 } };
    return last ? [gemm] : [gemm, { opType: 'Relu', inputs: [`z${k}`], outputs: [`r${k}`] }];
  });
  return encodeOnnxModel({ inputs: [{ name: 'x', dims: ['batch', network.inputSize] }], outputs: [{ name: 'y', dims: ['batch', network.outputSize] }], initializers, nodes });
}

/** Float32 copy of the weights, so both implementations bound the same network. */
function roundToFloat32(network: ReluNetwork): ReluNetwork {
  return { ...network, layers: network.layers.map((l) => ({ ...l, weights: Float64Array.from(Float32Array.from(l.weights)), bias: Float64Array.from(Float32Array.from(l.bias)) })) };
}

describe('crown.ts agrees with src/certify CROWN', () => {
  it('equal lower bounds of C·y on random dense nets and L∞ boxes (float32 tolerance)', async () => {
    await setupBackend({ backend: 'cpu' });
    let compared = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const network = roundToFloat32(randomNetwork(seed, [4, 10, 10, 10, 3]));
      const graph = boundGraphFromOnnx(parseOnnx(toOnnx(network), 'dense.onnx'));
      const random = createRandom(seed);
      const center = Float32Array.from({ length: 4 }, () => random.normal());
      const epsilon = 0.25;
      const rows = Float32Array.from({ length: 2 * 3 }, () => random.normal());
      const theirs = tf.tidy(() => {
        const ball = { center: tf.tensor2d(center, [1, 4]), norm: 'linf' as const, epsilon, bounds: [-100, 100] as const };
        return crownLowerBounds(graph, ball, tf.tensor3d(rows, [1, 2, 3]), { safety: 0 }).dataSync();
      });
      const box = { lower: Float64Array.from(center, (c) => Math.fround(c - epsilon)), upper: Float64Array.from(center, (c) => Math.fround(c + epsilon)) };
      const bounds = computeIntermediateBounds(network, box, undefined, { allNeurons: true });
      const ours = specLowerBounds(network, box, bounds, Float64Array.from(rows), new Float64Array(2), undefined, { outputFloor: true });
      for (let r = 0; r < 2; r++) {
        // float32 (tfjs) against Float64: agreement to float32 precision of the values involved.
        expect(Math.abs(ours.lower[r] - theirs[r])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(theirs[r])));
        compared++;
      }
    }
    expect(compared).toBe(12);
  });
});
