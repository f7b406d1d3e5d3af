/**
 * The tiling max-pool gradient (SpaceToDepth + ArgMax indices, `rules/nn.ts`) against ONNX Runtime's
 * MaxPool-with-Indices and against the first-maximum rule PyTorch and tfjs-cpu use, on inputs full of ties:
 * constant images (every window all-equal), exact zeros as after a ReLU, all-negative windows, values drawn from
 * {0, ½, 1}, plus random ones; 2×2 and 3×3 windows, sizes divisible by the window and not (floor mode crops).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../backend.js';
import { createRandom } from '../random.js';
import { encodeOnnxModel, type OnnxNodeSpec } from '../onnx/build.js';
import { createOrtGradientSession } from '../ort-gradient.js';
import { buildBackwardGraph } from './generate.js';
import { BackwardRegistry } from './registry.js';
import { builtinBackwardRules } from './builtin.js';
import { maxPoolIndicesRule } from './rules/nn.js';

/** The built-in rules with MaxPool going through the forward node's Indices output. */
const indicesRegistry = new BackwardRegistry().register(
  ...builtinBackwardRules.opTypes().map((op) => (op === 'MaxPool' ? maxPoolIndicesRule : builtinBackwardRules.get(op)!)),
);

const random = createRandom(99);
const C = 2;
const CLASSES = 3;

/** x [n, C, h, w] → (Clip at 0 when `clip`) → MaxPool k×k/k → Flatten → Gemm to 3 logits. */
function poolModel(h: number, w: number, k: number, clip: boolean): Uint8Array {
  const ho = Math.floor(h / k);
  const wo = Math.floor(w / k);
  const features = C * ho * wo;
  const nodes: OnnxNodeSpec[] = [
    ...(clip ? [{ opType: 'Clip', inputs: ['x', 'zero'], outputs: ['c'] }] : []),
    { opType: 'MaxPool', inputs: [clip ? 'c' : 'x'], outputs: ['p'], attributes: { kernel_shape: [k, k], strides: [k, k] } },
    { opType: 'Flatten', inputs: ['p'], outputs: ['f'], attributes: { axis: 1 } },
    { opType: 'Gemm', inputs: ['f', 'wt', 'b'], outputs: ['logits'] },
  ];
  return encodeOnnxModel({
    inputs: [{ name: 'x', dims: ['n', C, h, w] }],
    outputs: [{ name: 'logits', dims: ['n', CLASSES] }],
    initializers: [
      { name: 'zero', dims: [], data: [0] },
      { name: 'wt', dims: [features, CLASSES], data: Array.from({ length: features * CLASSES }, () => random.next() * 2 - 1) },
      { name: 'b', dims: [CLASSES], data: [0.1, -0.2, 0.3] },
    ],
    nodes,
  });
}

type Fill = (i: number) => number;
const fills: Record<string, Fill> = {
  constant: () => 0.25,
  'exact zeros': () => 0,
  'zeros after clip': () => -random.next(),
  negative: () => -0.5 - random.next(),
  'negative constant': () => -3,
  '{0, ½, 1}': () => Math.floor(random.next() * 3) / 2,
  random: () => random.next() * 2 - 1,
};

async function inputGradient(bytes: Uint8Array, x: Float32Array, count: number, indices: boolean): Promise<{ gradient: Float32Array; opTypes: string[] }> {
  const graph = buildBackwardGraph(bytes, { loss: 'cross-entropy', ...(indices ? { registry: indicesRegistry } : {}) });
  const session = await createOrtGradientSession(graph);
  try {
    const oneHot = new Float32Array(count * CLASSES);
    for (let i = 0; i < count; i++) oneHot[i * CLASSES + (i % CLASSES)] = 1;
    const result = await session.run(x, count, oneHot, new Float32Array(count).fill(1));
    // Which ops the emitted graph holds (ArgMax only on the tiling path).
    const text = new TextDecoder('latin1').decode(graph.bytes);
    return { gradient: result.inputGradient!, opTypes: ['ArgMax', 'SpaceToDepth'].filter((op) => text.includes(op)) };
  } finally {
    await session.release();
  }
}

/** For every window: at most one non-zero gradient cell, and it is the window's first maximum in row-major order. */
function expectFirstMaxRouting(x: Float32Array, g: Float32Array, count: number, h: number, w: number, k: number, clip: boolean): number {
  let routed = 0;
  const value = (v: number) => (clip ? Math.max(v, 0) : v);
  for (let plane = 0; plane < count * C; plane++) {
    for (let r = 0; r < Math.floor(h / k); r++) {
      for (let s = 0; s < Math.floor(w / k); s++) {
        let first = -1;
        let best = -Infinity;
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const at = plane * h * w + (r * k + i) * w + s * k + j;
            if (value(x[at]) > best) {
              best = value(x[at]);
              first = at;
            }
          }
        }
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const at = plane * h * w + (r * k + i) * w + s * k + j;
            if (at !== first) expect(g[at], `window ${plane}/${r}/${s} cell ${i},${j}`).toBe(0);
          }
        }
        if (g[first] !== 0) routed++;
      }
    }
    // Cells outside every window (floor-mode remainder) get nothing.
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        if (y >= Math.floor(h / k) * k || xx >= Math.floor(w / k) * k) expect(g[plane * h * w + y * w + xx]).toBe(0);
      }
    }
  }
  return routed;
}

beforeAll(async () => {
  await setupBackend();
});

describe('tiling max-pool gradient', () => {
  const shapes: [number, number, number][] = [
    [6, 6, 2],
    [7, 5, 2],
    [6, 9, 3],
    [8, 7, 3],
  ];
  for (const [h, w, k] of shapes) {
    for (const clip of [false, true]) {
      it(`${h}×${w}, ${k}×${k} windows${clip ? ' after Clip(min 0)' : ''}: bit-equal to MaxPool-with-Indices, routed to the first maximum`, async () => {
        const bytes = poolModel(h, w, k, clip);
        const count = 3;
        for (const [name, fill] of Object.entries(fills)) {
          const x = Float32Array.from({ length: count * C * h * w }, (_, i) => fill(i));
          const tiling = await inputGradient(bytes, x, count, false);
          const reference = await inputGradient(bytes, x, count, true);
          expect(tiling.opTypes, 'the tiling path is used').toEqual(['ArgMax', 'SpaceToDepth']);
          expect(reference.opTypes).toEqual([]);
          expect(Array.from(tiling.gradient), name).toEqual(Array.from(reference.gradient));
          const routed = expectFirstMaxRouting(x, tiling.gradient, count, h, w, k, clip);
          // Without the Clip every window passes its gradient on (the head's weights are non-zero almost surely);
          // the Clip stops it below 0.
          if (!clip) expect(routed, name).toBe(count * C * Math.floor(h / k) * Math.floor(w / k));
        }
      });
    }
  }

  it('a hand-made 4×4 image: ties go to the first cell of each 2×2 window', async () => {
    // Windows: all 1 (first cell), zeros with a later 0 tie, a strict max at the last cell, negatives tied at the second and fourth cells.
    const image = [1, 1, 0, 0, 1, 1, 0, 0, 0.5, 0.2, -2, -1, 0.1, 0.9, -3, -1];
    const x = Float32Array.from([...image, ...image.map((v) => v * 2)]);
    const g = (await inputGradient(poolModel(4, 4, 2, false), x, 1, false)).gradient;
    const nonZero = Array.from(g.subarray(0, 16)).map((v) => (v !== 0 ? 1 : 0));
    expect(nonZero).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
  });
});
