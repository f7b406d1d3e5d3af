/**
 * The training-graph forward rewrites of issue #3 against the plain forms they replace (`rewrite.ts`,
 * `rules/conv-pool.ts`):
 * - the pool-plane Conv → MaxPool block (`fuseConvPool`, both first-maximum modes) gives the same logits and weight
 *   gradients as Conv + MaxPool with the tiling max-pool gradient (within 1e-5 relative), on tie-heavy inputs
 *   (exact zeros, constant regions, values from {0, ½, 1}) and random ones; 1 and 3 input channels, 3×3 and 5×5
 *   kernels, 2×2 and 3×3 pools, with and without bias; the two modes are bit-equal to each other; where the input
 *   needs a gradient (`'exact'` mode: plain forward, routing in plane layout) logits are bit-identical and input and
 *   weight gradients equal within 1e-5 on the same tie-heavy inputs (a tie routed to another cell would move
 *   gradient between pixels); nothing is fused where the geometry does not fit;
 * - cropping a Conv's input to the rows a floor-mode MaxPool reads (`cropConvToPool`) leaves logits and input
 *   gradients bit-identical and weight gradients equal within 1e-5;
 * - moving that crop up into a fused block (`sinkCropIntoConvPool`, a two-conv net shaped like the reference CNN)
 *   leaves logits bit-identical and weight gradients within 1e-5 of both the unmoved and the plain graphs; in
 *   input-gradient graphs the crop lands on the first conv's input, with logits, input and weight gradients as
 *   the plain graph's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../backend.js';
import { createRandom } from '../random.js';
import { encodeOnnxModel, type OnnxNodeSpec, type OnnxTensorSpec } from '../onnx/build.js';
import { createOrtGradientSession, type OrtGradientResult } from '../ort-gradient.js';
import { buildBackwardGraph, type BackwardGraph, type BackwardGraphOptions } from './generate.js';
import { maxRelativeDifference } from '../kernels/testing.js';

const N = 5;
const CLASSES = 4;
const random = createRandom(2026);

beforeAll(async () => {
  await setupBackend();
});

const tensor = (name: string, dims: number[], scale = 1): OnnxTensorSpec => ({
  name,
  dims,
  data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random.next() - 0.5) * scale),
});
const n = (opType: string, inputs: string[], output: string, attributes: OnnxNodeSpec['attributes'] = {}): OnnxNodeSpec => ({ opType, inputs, outputs: [output], attributes });

interface Block {
  channels: number;
  size: number;
  kernel: number;
  pool: number;
  bias: boolean;
  conv?: OnnxNodeSpec['attributes'];
}

/** x [n, C, S, S] → Conv k×k (+ bias) → Relu → MaxPool p×p/p → Flatten → MatMul → logits. */
function blockModel(b: Block): Uint8Array {
  const stride = (b.conv?.strides as number[] | undefined)?.[0] ?? 1;
  const pads = (b.conv?.pads as number[] | undefined) ?? [0, 0, 0, 0];
  const convOut = Math.floor((b.size + pads[0] + pads[2] - b.kernel) / stride) + 1;
  const pooled = Math.floor(convOut / b.pool);
  const features = 3 * pooled * pooled;
  return encodeOnnxModel({
    inputs: [{ name: 'x', dims: ['n', b.channels, b.size, b.size] }],
    outputs: [{ name: 'logits', dims: ['n', CLASSES] }],
    initializers: [tensor('cw', [3, b.channels, b.kernel, b.kernel]), ...(b.bias ? [tensor('cb', [3])] : []), tensor('hw', [features, CLASSES])],
    nodes: [
      n('Conv', b.bias ? ['x', 'cw', 'cb'] : ['x', 'cw'], 'c', b.conv ?? {}),
      n('Relu', ['c'], 'r'),
      n('MaxPool', ['r'], 'p', { kernel_shape: [b.pool, b.pool], strides: [b.pool, b.pool] }),
      n('Flatten', ['p'], 'f', { axis: 1 }),
      n('MatMul', ['f', 'hw'], 'logits'),
    ],
  });
}

type Fill = (sample: number, i: number) => number;
const fills: Record<string, Fill> = {
  'zeros and ones (MNIST-like)': () => (random.next() < 0.6 ? 0 : random.next() < 0.5 ? 1 : random.next()),
  'constant regions': (s, i) => (i % 37 < 20 ? 0.5 : (s % 3) / 2),
  '{0, ½, 1}': () => Math.floor(random.next() * 3) / 2,
  random: () => random.next(),
};

async function run(graph: BackwardGraph, x: Float32Array): Promise<OrtGradientResult> {
  const session = await createOrtGradientSession(graph);
  try {
    const oneHot = new Float32Array(N * CLASSES);
    for (let i = 0; i < N; i++) oneHot[i * CLASSES + (i % CLASSES)] = 1;
    return await session.run(x, N, oneHot, new Float32Array(N).fill(1 / N));
  } finally {
    await session.release();
  }
}


const text = (graph: BackwardGraph) => new TextDecoder('latin1').decode(graph.bytes);
const training = (extra: Partial<BackwardGraphOptions>): BackwardGraphOptions => ({ loss: 'cross-entropy', inputGradient: false, trainable: 'all', ...extra });

describe('pool-plane Conv → MaxPool block (fuseConvPool)', () => {
  const blocks: [string, Block][] = [
    ['1 channel, 3×3, 2×2 pool, 14×14 (the reference CNN first layer, smaller)', { channels: 1, size: 14, kernel: 3, pool: 2, bias: true }],
    ['3 channels, 5×5, 2×2 pool, 16×16', { channels: 3, size: 16, kernel: 5, pool: 2, bias: true }],
    ['2 channels, 3×3, 3×3 pool, 12×12, no bias', { channels: 2, size: 12, kernel: 3, pool: 3, bias: false }],
  ];
  for (const [name, block] of blocks) {
    for (const [fillName, fill] of Object.entries(fills)) {
      it(`${name}, ${fillName}: same logits and weight gradients as Conv + MaxPool; both modes bit-equal`, async () => {
        const bytes = blockModel(block);
        const plain = buildBackwardGraph(bytes, training({ fuseConvPool: false }));
        const compare = buildBackwardGraph(bytes, training({ fuseConvPool: 'compare' }));
        const argmax = buildBackwardGraph(bytes, training({ fuseConvPool: 'argmax' }));
        expect(text(plain).includes('rampart_plane_input')).toBe(false);
        expect(text(compare).includes('rampart_plane_input')).toBe(true);
        expect(text(argmax).includes('rampart_plane_input')).toBe(true);
        expect(compare.parameters.map((p) => p.name)).toEqual(plain.parameters.map((p) => p.name));
        const size = block.channels * block.size * block.size;
        const x = Float32Array.from({ length: N * size }, (_, i) => fill(Math.floor(i / size), i % size));
        const [reference, viaCompare, viaArgmax] = [await run(plain, x), await run(compare, x), await run(argmax, x)];
        expect(maxRelativeDifference(viaCompare.logits, reference.logits)).toBeLessThan(1e-5);
        for (const [weight, g] of reference.parameterGradients) {
          expect(maxRelativeDifference(viaCompare.parameterGradients.get(weight)!, g), weight).toBeLessThan(1e-5);
          expect(Array.from(viaArgmax.parameterGradients.get(weight)!), weight).toEqual(Array.from(viaCompare.parameterGradients.get(weight)!));
        }
      });
    }
  }

  for (const [name, block] of blocks) {
    for (const [fillName, fill] of Object.entries(fills)) {
      it(`${name}, ${fillName}, input gradient ('exact' mode): plain forward, input and weight gradients as Conv + MaxPool`, async () => {
        const bytes = blockModel(block);
        for (const options of [{ loss: 'cross-entropy' as const }, { loss: 'cross-entropy' as const, trainable: 'all' as const }]) {
          const plain = buildBackwardGraph(bytes, { ...options, fuseConvPool: false });
          const exact = buildBackwardGraph(bytes, options);
          expect(text(exact).includes('rampart_conv')).toBe(true);
          expect(text(exact).includes('rampart_plane_input')).toBe(false);
          const size = block.channels * block.size * block.size;
          const x = Float32Array.from({ length: N * size }, (_, i) => fill(Math.floor(i / size), i % size));
          const [reference, viaPlanes] = [await run(plain, x), await run(exact, x)];
          expect(Array.from(viaPlanes.logits)).toEqual(Array.from(reference.logits));
          // Ties (saturated and constant regions) must go to the same cell: a moved one shifts gradient by pixels.
          expect(maxRelativeDifference(viaPlanes.inputGradient!, reference.inputGradient!)).toBeLessThan(1e-5);
          for (const [weight, g] of reference.parameterGradients) expect(maxRelativeDifference(viaPlanes.parameterGradients.get(weight)!, g), weight).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('is not applied where the geometry does not fit', () => {
    const reference = blockModel({ channels: 1, size: 14, kernel: 3, pool: 2, bias: true });
    expect(text(buildBackwardGraph(reference, { loss: 'cross-entropy', fuseConvPoolExact: false })).includes('rampart_conv')).toBe(false);
    // Odd size (S2D needs divisible planes), stride 2, more than 4 input channels.
    for (const block of [
      { channels: 1, size: 15, kernel: 2, pool: 2, bias: true },
      { channels: 1, size: 14, kernel: 3, pool: 2, bias: true, conv: { strides: [2, 2] } },
      { channels: 5, size: 14, kernel: 3, pool: 2, bias: true },
    ]) {
      expect(text(buildBackwardGraph(blockModel(block), training({}))).includes('rampart_plane_input'), JSON.stringify(block)).toBe(false);
    }
  });
});

describe('Conv input cropped to what a floor-mode MaxPool reads (cropConvToPool)', () => {
  // 13×13 → conv 3×3 → 11×11 → pool 2×2 reads 10×10: the conv input is cropped to 12×12.
  const cases: [string, Block][] = [
    ['3×3 conv, 2×2 pool (11×11 → 5×5)', { channels: 4, size: 13, kernel: 3, pool: 2, bias: true }],
    ['3×3 conv with pads [1, 1, 0, 0], 3×3 pool (13×13 → 4×4)', { channels: 6, size: 14, kernel: 3, pool: 3, bias: true, conv: { pads: [1, 1, 0, 0] } }],
    ['2×2 conv stride 2, 2×2 pool (7×7 → 3×3)', { channels: 5, size: 15, kernel: 2, pool: 2, bias: false, conv: { strides: [2, 2] } }],
  ];
  for (const [name, block] of cases) {
    it(`${name}: bit-identical logits and input gradient, weight gradients within 1e-5`, async () => {
      const bytes = blockModel(block);
      const size = block.channels * block.size * block.size;
      const x = Float32Array.from({ length: N * size }, (_, i) => fills['zeros and ones (MNIST-like)'](0, i));
      for (const options of [{ loss: 'cross-entropy' as const }, { loss: 'cross-entropy' as const, trainable: 'all' as const }]) {
        // (Fusion off: after the crop some of these blocks would fuse, whose sums run in another order.)
        const plain = buildBackwardGraph(bytes, { ...options, cropConvToPool: false, fuseConvPool: false });
        const cropped = buildBackwardGraph(bytes, { ...options, cropConvToPool: true, fuseConvPool: false });
        expect(text(plain).includes('rampart_pool_crop')).toBe(false);
        expect(text(cropped).includes('rampart_pool_crop')).toBe(true);
        const [a, b] = [await run(plain, x), await run(cropped, x)];
        expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
        expect(Array.from(b.inputGradient!)).toEqual(Array.from(a.inputGradient!));
        for (const [weight, g] of a.parameterGradients) expect(maxRelativeDifference(b.parameterGradients.get(weight)!, g), weight).toBeLessThan(1e-5);
      }
    });
  }

  it('leaves convs alone whose whole output is pooled', () => {
    const bytes = blockModel({ channels: 2, size: 12, kernel: 3, pool: 2, bias: true });
    expect(text(buildBackwardGraph(bytes, { loss: 'cross-entropy' })).includes('rampart_pool_crop')).toBe(false);
  });
});

describe('crop moved into the fused block (sinkCropIntoConvPool)', () => {
  /** The reference CNN's shape at 16×16: conv 3×3 → 14 → pool → 7 → conv 3×3 → 5 → pool reads 4 of 5 → 2. */
  const twoLayers = (extraConsumer: boolean): Uint8Array =>
    encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['n', 1, 16, 16] }],
      outputs: [{ name: 'logits', dims: ['n', CLASSES] }, ...(extraConsumer ? [{ name: 'side' }] : [])],
      initializers: [tensor('w1', [3, 1, 3, 3]), tensor('b1', [3]), tensor('w2', [4, 3, 3, 3]), tensor('b2', [4]), tensor('hw', [16, CLASSES])],
      nodes: [
        n('Conv', ['x', 'w1', 'b1'], 'c1'),
        n('Relu', ['c1'], 'r1'),
        n('MaxPool', ['r1'], 'p1', { kernel_shape: [2, 2], strides: [2, 2] }),
        ...(extraConsumer ? [n('Identity', ['p1'], 'side')] : []),
        n('Conv', ['p1', 'w2', 'b2'], 'c2'),
        n('Relu', ['c2'], 'r2'),
        n('MaxPool', ['r2'], 'p2', { kernel_shape: [2, 2], strides: [2, 2] }),
        n('Flatten', ['p2'], 'f', { axis: 1 }),
        n('MatMul', ['f', 'hw'], 'logits'),
      ],
    });
  for (const [fillName, fill] of Object.entries(fills)) {
    it(`${fillName}: the first block pools only the 6×6 the second conv reads; same logits and weight gradients`, async () => {
      const bytes = twoLayers(false);
      const plain = buildBackwardGraph(bytes, training({ fuseConvPool: false, cropConvToPool: false }));
      const unsunk = buildBackwardGraph(bytes, training({ sinkCropIntoConvPool: false }));
      const sunk = buildBackwardGraph(bytes, training({}));
      expect(text(unsunk).includes('rampart_pool_crop')).toBe(true);
      expect(text(sunk).includes('rampart_pool_crop')).toBe(false);
      expect(text(sunk).includes('rampart_plane_input')).toBe(true);
      const x = Float32Array.from({ length: N * 256 }, (_, i) => fill(Math.floor(i / 256), i % 256));
      const [reference, a, b] = [await run(plain, x), await run(unsunk, x), await run(sunk, x)];
      expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
      expect(maxRelativeDifference(b.logits, reference.logits)).toBeLessThan(1e-5);
      for (const [weight, g] of reference.parameterGradients) {
        expect(maxRelativeDifference(b.parameterGradients.get(weight)!, g), weight).toBeLessThan(1e-5);
        expect(maxRelativeDifference(b.parameterGradients.get(weight)!, a.parameterGradients.get(weight)!), weight).toBeLessThan(1e-5);
      }
    });
  }

  for (const [fillName, fill] of Object.entries(fills)) {
    it(`${fillName}, input gradient: the 'exact' block's conv input is cropped to 14×14; same logits, input and weight gradients`, async () => {
      const bytes = twoLayers(false);
      for (const options of [{ loss: 'cross-entropy' as const }, { loss: 'cross-entropy' as const, trainable: 'all' as const }]) {
        const plain = buildBackwardGraph(bytes, { ...options, fuseConvPool: false, cropConvToPool: false });
        const sunk = buildBackwardGraph(bytes, options);
        expect(text(sunk).includes('x/rampart_pool_crop')).toBe(true);
        expect(text(sunk).includes('p1/rampart_pool_crop')).toBe(false);
        const x = Float32Array.from({ length: N * 256 }, (_, i) => fill(Math.floor(i / 256), i % 256));
        const [reference, b] = [await run(plain, x), await run(sunk, x)];
        expect(maxRelativeDifference(b.logits, reference.logits)).toBeLessThan(1e-6);
        expect(maxRelativeDifference(b.inputGradient!, reference.inputGradient!)).toBeLessThan(1e-5);
        for (const [weight, g] of reference.parameterGradients) expect(maxRelativeDifference(b.parameterGradients.get(weight)!, g), weight).toBeLessThan(1e-5);
      }
    });
  }

  it('stays out when the pooled output has another consumer', () => {
    const graph = buildBackwardGraph(twoLayers(true), training({}));
    expect(text(graph).includes('rampart_pool_crop')).toBe(true);
  });
});
