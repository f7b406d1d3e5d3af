/**
 * Each replacement wasm kernel against tfjs-backend-cpu on seeded random inputs: conv gradients for strides 1/2,
 * valid/same/explicit padding, 3×3/5×5 filters, NHWC/NCHW; max-pool gradients including all-negative and
 * all-zero windows and ties; transposed matmuls; leading-axis Sum/Mean; and no leaked tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor4D } from '../tf.js';
import { loadBothBackends, maxRelativeDifference, runOn, seededFloats } from './testing.js';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  await loadBothBackends();
});

async function expectBackendsAgree(program: () => tf.Tensor | tf.Tensor[], tolerance = TOLERANCE): Promise<number> {
  const expected = await runOn('cpu', program);
  const actual = await runOn('wasm', program);
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    expect(actual[i].length).toBe(expected[i].length);
    worst = Math.max(worst, maxRelativeDifference(actual[i], expected[i]));
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
  return worst;
}

function tensor4d(seed: number, shape: [number, number, number, number], low = -1, high = 1): Tensor4D {
  return tf.tensor4d(seededFloats(seed, shape.reduce((p, q) => p * q, 1), low, high), shape);
}

describe('Conv2D gradients', () => {
  const cases: Array<{ x: [number, number, number, number]; k: number; cout: number; stride: 1 | 2; pad: 'valid' | 'same' }> = [];
  for (const stride of [1, 2] as const)
    for (const pad of ['valid', 'same'] as const)
      for (const k of [3, 5])
        for (const x of [[2, 9, 9, 3], [3, 12, 10, 4], [1, 8, 8, 1]] as Array<[number, number, number, number]>)
          cases.push({ x, k, cout: 5, stride, pad });

  it.each(cases)('input and filter gradients match cpu: x=$x k=$k stride=$stride pad=$pad', async ({ x, k, cout, stride, pad }) => {
    const seed = x[1] * 100 + k * 10 + stride + (pad === 'same' ? 1000 : 0);
    await expectBackendsAgree(() => {
      const input = tensor4d(seed, x);
      const filter = tensor4d(seed + 1, [k, k, x[3], cout]);
      const upstream = tf.conv2d(input, filter, stride, pad);
      const dy = tensor4d(seed + 2, upstream.shape as [number, number, number, number]);
      return [
        tf.conv2dTranspose(dy, filter, input.shape, stride, pad),
        tf.conv2dTranspose(dy, filter, input.shape, stride, pad), // second call: cached-operator path
        tf.grad((f: Tensor4D) => tf.sum(tf.mul(tf.conv2d(input, f, stride, pad), dy)))(filter),
        tf.grad((v: Tensor4D) => tf.sum(tf.mul(tf.conv2d(v, filter, stride, pad), dy)))(input),
      ];
    });
  });

  it('handles explicit padding, rectangular strides and NCHW', async () => {
    await expectBackendsAgree(() => {
      const input = tensor4d(7, [2, 11, 9, 3]);
      const filter = tensor4d(8, [3, 5, 3, 4]);
      const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 2], [2, 0], [0, 0]];
      const upstream = tf.conv2d(input, filter, [2, 1], explicit);
      const dy = tensor4d(9, upstream.shape as [number, number, number, number]);
      const dFilter = tf.grad((f: Tensor4D) => tf.sum(tf.mul(tf.conv2d(input, f, [2, 1], explicit), dy)))(filter);
      const dInput = tf.grad((v: Tensor4D) => tf.sum(tf.mul(tf.conv2d(v, filter, [2, 1], explicit), dy)))(input);
      const nchwInput = tf.transpose(input, [0, 3, 1, 2]);
      const nchwDy = tf.transpose(tensor4d(10, [2, 5, 4, 4]), [0, 3, 1, 2]);
      const runs = tf.engine().runKernel('Conv2DBackpropFilter', { x: nchwInput, dy: nchwDy }, {
        strides: [2, 2], pad: 'valid', dataFormat: 'NCHW', dimRoundingMode: undefined, filterShape: [3, 3, 3, 4],
      }) as tf.Tensor;
      const runsInput = tf.engine().runKernel('Conv2DBackpropInput', { dy: nchwDy, filter: tensor4d(11, [3, 3, 3, 4]) }, {
        strides: [2, 2], pad: 'valid', dataFormat: 'NCHW', dimRoundingMode: undefined, inputShape: [2, 3, 11, 9],
      }) as tf.Tensor;
      return [dFilter, dInput, runs, runsInput];
    });
  });
});

describe('MaxPoolGrad', () => {
  const poolCases: Array<{ size: number; stride: number; pad: 'valid' | 'same' }> = [
    { size: 2, stride: 2, pad: 'valid' },
    { size: 2, stride: 2, pad: 'same' },
    { size: 3, stride: 2, pad: 'valid' },
    { size: 3, stride: 2, pad: 'same' },
    { size: 3, stride: 1, pad: 'same' },
  ];

  it.each(poolCases)('matches cpu on random inputs: $size×$size stride $stride $pad', async ({ size, stride, pad }) => {
    await expectBackendsAgree(() => {
      const x = tensor4d(size * 10 + stride, [3, 9, 11, 6]);
      return tf.grad((v: Tensor4D) => tf.sum(tf.mul(tf.maxPool(v, size, stride, pad), tf.mul(tf.onesLike(tf.maxPool(v, size, stride, pad)), 3))))(x);
    }, 1e-6);
  });

  it('routes gradient through all-negative and all-zero windows, first maximum wins ties (stock wasm fails this)', async () => {
    // Row-major 4×4 single-channel image, 2×2 windows: negative window, zero window, tie window, ordinary window.
    const image = [
      -3, -1, 0, 0,
      -2, -5, 0, 0,
      7, 7, 1, 2,
      7, 0, 4, 3,
    ];
    const program = () => {
      const x = tf.tensor4d(image, [1, 4, 4, 1]);
      const dy = tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]);
      return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: tf.maxPool(x, 2, 2, 'valid') }, {
        filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: undefined,
      }) as tf.Tensor;
    };
    const [wasm] = await runOn('wasm', program);
    const [cpu] = await runOn('cpu', program);
    const expected = [
      0, 10, 20, 0,
      0, 0, 0, 0,
      30, 0, 0, 0,
      0, 0, 40, 0,
    ];
    expect(Array.from(cpu)).toEqual(expected);
    expect(Array.from(wasm)).toEqual(expected);
  });

  it('matches cpu on ReLU-like inputs with many zeros and exact ties', async () => {
    await expectBackendsAgree(() => {
      const raw = tensor4d(42, [4, 12, 12, 8], -1, 1);
      const x = tf.round(tf.mul(tf.relu(raw), 2)); // values in {0, 1, 2}: zero windows and ties everywhere
      return tf.grad((v: Tensor4D) => tf.sum(tf.mul(tf.maxPool(v, 2, 2, 'valid'), tensor4d(43, [4, 6, 6, 8]))))(x);
    }, 0);
  });
});

describe('AvgPoolGrad (stock wasm kernel, kept: checked here)', () => {
  it.each(poolCasesForAverage())('matches cpu: $size×$size stride $stride $pad', async ({ size, stride, pad }) => {
    await expectBackendsAgree(() => {
      const x = tensor4d(size * 10 + stride + 5, [3, 9, 11, 6]);
      const weights = tf.avgPool(tensor4d(77, [3, 9, 11, 6]), size, stride, pad);
      return tf.grad((v: Tensor4D) => tf.sum(tf.mul(tf.avgPool(v, size, stride, pad), weights)))(x);
    });
  });
});

function poolCasesForAverage(): Array<{ size: number; stride: number; pad: 'valid' | 'same' }> {
  return [
    { size: 2, stride: 2, pad: 'valid' },
    { size: 3, stride: 2, pad: 'same' },
    { size: 3, stride: 1, pad: 'same' },
  ];
}

describe('BatchMatMul with transposes', () => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('transposeA=%s transposeB=%s matches cpu (2D and batched)', async (transposeA, transposeB) => {
    await expectBackendsAgree(() => {
      const a2 = tf.tensor2d(seededFloats(1, 7 * 5), transposeA ? [5, 7] : [7, 5]);
      const b2 = tf.tensor2d(seededFloats(2, 5 * 6), transposeB ? [6, 5] : [5, 6]);
      const a3 = tf.tensor3d(seededFloats(3, 3 * 7 * 5), transposeA ? [3, 5, 7] : [3, 7, 5]);
      const b3 = tf.tensor3d(seededFloats(4, 3 * 5 * 6), transposeB ? [3, 6, 5] : [3, 5, 6]);
      return [tf.matMul(a2, b2, transposeA, transposeB), tf.matMul(a3, b3, transposeA, transposeB)];
    });
  });
});

describe('Sum and Mean', () => {
  it('match cpu over leading axes, other axes, keepDims and int32', async () => {
    await expectBackendsAgree(() => {
      const x = tensor4d(5, [4, 6, 5, 3]);
      const ints = tf.tensor3d(Int32Array.from({ length: 24 }, (_, i) => i - 7), [2, 3, 4], 'int32');
      return [
        tf.sum(x, [0, 1, 2]),
        tf.sum(x, 0),
        tf.sum(x, [1, 0], true),
        tf.sum(x, [2, 3]),
        tf.sum(x),
        tf.mean(x, [0, 1, 2]),
        tf.mean(x, [0, 1], true),
        tf.mean(x, -1),
        tf.cast(tf.sum(ints, [0, 1]), 'float32'),
      ];
    });
  });
});

describe('leaks', () => {
  it('replacement kernels leave no tensors and no backend data behind', async () => {
    await tf.setBackend('wasm');
    const x = tensor4d(1, [2, 8, 8, 3]);
    const filter = tensor4d(2, [3, 3, 3, 4]);
    const tensorsBefore = tf.memory().numTensors;
    const dataBefore = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) {
      const grads = tf.grads((v: Tensor4D, f: Tensor4D) => {
        const h = tf.maxPool(tf.relu(tf.conv2d(v, f, 2, 'same')), 2, 2, 'same');
        return tf.add(tf.sum(tf.matMul(tf.reshape(h, [2, -1]), tf.ones([16, 3]))), tf.sum(tf.mean(h, [0, 1, 2])));
      })([x, filter]);
      tf.dispose(grads);
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
    tf.dispose([x, filter]);
  });
});
