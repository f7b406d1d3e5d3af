/**
 * Bound propagation: hand-computed 2-2-1 networks, soundness properties over random dense and conv networks
 * (every sampled input and a projected-gradient search for each output's extremes stay inside the IBP and
 * CROWN bounds, for L∞ and L2 balls ∩ [0, 1]), CROWN no looser than IBP on the final layer of ReLU nets,
 * α-CROWN no looser than CROWN, the one-error report of unsupported ops, and leaks.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../engine/backend.js';
import { tf, type Tensor } from '../../engine/tf.js';
import { createRandom } from '../../engine/random.js';
import { encodeOnnxModel } from '../../engine/onnx/build.js';
import { parseOnnx } from '../../engine/onnx/graph.js';
import { importOnnxGraph } from '../../engine/onnx/import.js';
import { isRampartError } from '../../errors.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';
import { randomConvNetwork, randomDenseNetwork, type RandomNetwork } from '../../../test/helpers/bound-networks.js';
import { boundGraphFromOnnx, type BoundGraph } from './graph.js';
import type { InputBall } from './propagate.js';
import { forwardBounds, disposeIntervals } from './propagate.js';
import { ibpMarginBounds, ibpOutputBounds } from '../ibp.js';
import { crownLowerBounds, crownMarginBounds, crownOutputBounds } from '../crown.js';
import { alphaCrownLowerBounds, alphaCrownMarginBounds } from '../alpha-crown.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

const TOL = 1e-4;

/** A 2-2-1 ReLU network y = w2·relu(W1 x + b1) + b2 as an ONNX graph. */
function twoTwoOne(w1: number[], b1: number[], w2: number[], b2: number): BoundGraph {
  const bytes = encodeOnnxModel({
    inputs: [{ name: 'x', dims: ['N', 2] }],
    outputs: [{ name: 'y' }],
    initializers: [
      { name: 'W1', dims: [2, 2], data: w1 },
      { name: 'b1', dims: [2], data: b1 },
      { name: 'W2', dims: [2, 1], data: w2 },
      { name: 'b2', dims: [1], data: [b2] },
    ],
    nodes: [
      { opType: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'] },
      { opType: 'Relu', inputs: ['h'], outputs: ['r'] },
      { opType: 'Gemm', inputs: ['r', 'W2', 'b2'], outputs: ['y'] },
    ],
  });
  return boundGraphFromOnnx(parseOnnx(bytes, '2-2-1'));
}

async function values(t: Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe('hand-computed bounds of 2-2-1 ReLU networks on the box x ∈ [-1, 1]² (centre 0, ε = 1, wide input bounds)', () => {
  const ball = (): InputBall => ({ center: tf.zeros([1, 2]), norm: 'linf', epsilon: 1, bounds: [-10, 10] });

  it('network A: h1 = x1 + x2 + 1, h2 = x1 − x2, y = relu(h1) − relu(h2) + 0.5', async () => {
    // Gemm weight is [in, out]: column j holds neuron j's weights. W1 = [[1, 1], [1, -1]] → h1 = x1 + x2 + 1, h2 = x1 − x2.
    const graph = twoTwoOne([1, 1, 1, -1], [1, 0], [1, -1], 0.5);
    const b = ball();
    // Pre-activations: h1 ∈ [−2 + 1, 2 + 1] = [−1, 3]; h2 ∈ [−2, 2].
    const intervals = forwardBounds(graph, b, { intermediate: 'ibp', safety: 0 });
    expect(await values(intervals.get('h')!.lower.clone())).toEqual([-1, -2]);
    expect(await values(intervals.get('h')!.upper.clone())).toEqual([3, 2]);
    disposeIntervals(intervals);
    // IBP: relu(h1) ∈ [0, 3], relu(h2) ∈ [0, 2] → y ∈ [0 − 2 + 0.5, 3 − 0 + 0.5] = [−1.5, 3.5].
    const ibp = ibpOutputBounds(graph, b, 0);
    expect((await values(ibp.lower))[0]).toBeCloseTo(-1.5, 6);
    expect((await values(ibp.upper))[0]).toBeCloseTo(3.5, 6);
    // CROWN relaxations. Neuron 1 (l = −1, u = 3): upper line slope 3/4, intercept −(3/4)(−1) = 0.75; adaptive lower
    // slope 1 (u > −l). Neuron 2 (l = −2, u = 2): upper slope 1/2, intercept 1; lower slope 0 (u > −l is false).
    // Lower bound of y: +1·relu(h1) ≥ h1 (lower line); −1·relu(h2) ≥ −(h2/2 + 1) (upper line):
    //   y ≥ h1 − h2/2 − 1 + 0.5 = (x1 + x2 + 1) − (x1 − x2)/2 − 0.5 = 0.5·x1 + 1.5·x2 + 0.5 ≥ −0.5 − 1.5 + 0.5 = −1.5.
    // Upper bound: +1·relu(h1) ≤ 0.75·h1 + 0.75; −1·relu(h2) ≤ −0·h2 (lower line, slope 0):
    //   y ≤ 0.75(x1 + x2 + 1) + 0.75 + 0.5 = 0.75·x1 + 0.75·x2 + 2 ≤ 3.5.
    const crown = crownOutputBounds(graph, b, { safety: 0 });
    expect((await values(crown.lower))[0]).toBeCloseTo(-1.5, 5);
    expect((await values(crown.upper))[0]).toBeCloseTo(3.5, 5);
    // α-CROWN on the lower bound: with slope α on neuron 1, y ≥ α(x1 + x2 + 1) − (x1 − x2)/2 − 0.5
    //   = (α − 0.5)·x1 + (α + 0.5)·x2 + α − 0.5, whose minimum over the box is −|α − 0.5| − |α + 0.5| + α − 0.5:
    //   −1.5 + α for α ≤ 0.5 and −α − 0.5 for α ≥ 0.5, maximised at α = 0.5 with value −1.0 (tighter than CROWN's −1.5;
    //   the true minimum is −0.5, e.g. at x = (1, −1): relu(1) − relu(2) + 0.5).
    const spec = tf.ones([1, 1, 1]);
    const alpha = alphaCrownLowerBounds(graph, b, spec, { steps: 40, learningRate: 0.05 }, { safety: 0 });
    const a = (await values(alpha))[0]!;
    expect(a).toBeGreaterThan(-1.05);
    expect(a).toBeLessThanOrEqual(-1.0 + 1e-5);
    const plain = (await values(crownLowerBounds(graph, b, spec, { safety: 0 })))[0]!;
    expect(plain).toBeCloseTo(-1.5, 5);
    tf.dispose([spec, b.center]);
    graph.dispose();
  });

  it('network B: h1 = x1 + x2, h2 = x1 − x2, y = relu(h1) + relu(h2) — CROWN strictly tighter than IBP', async () => {
    const graph = twoTwoOne([1, 1, 1, -1], [0, 0], [1, 1], 0);
    const b = ball();
    // h1, h2 ∈ [−2, 2]. IBP: y ∈ [0 + 0, 2 + 2] = [0, 4].
    const ibp = ibpOutputBounds(graph, b, 0);
    expect((await values(ibp.lower))[0]).toBeCloseTo(0, 6);
    expect((await values(ibp.upper))[0]).toBeCloseTo(4, 6);
    // CROWN upper: both neurons have upper line h/2 + 1 → y ≤ (h1 + h2)/2 + 2 = x1 + 2 ≤ 3 (true max is 2, at x1 = 1).
    // CROWN lower: lower slopes 0 (u > −l is false for l = −2, u = 2) → y ≥ 0.
    const crown = crownOutputBounds(graph, b, { safety: 0 });
    expect((await values(crown.lower))[0]).toBeCloseTo(0, 5);
    expect((await values(crown.upper))[0]).toBeCloseTo(3, 5);
    b.center.dispose();
    graph.dispose();
  });

  it('one ReLU h = x1 ∈ [−1, 2]: the backward pass alone (adaptive slope 1) gives y ≥ −1, looser than IBP\'s 0; CROWN returns the tighter', async () => {
    // W1 = [[1, 0], [0, 0]] → h1 = x1, h2 = 0 (stable); y = relu(h1). Centre (0.5, 0), ε = 1.5 → x1 ∈ [−1, 2].
    const graph = twoTwoOne([1, 0, 0, 0], [0, 0], [1, 0], 0);
    const b: InputBall = { center: tf.tensor2d([[0.5, 0]]), norm: 'linf', epsilon: 1.5, bounds: [-10, 10] };
    // u = 2 > −l = 1 → lower slope 1: relu(h1) ≥ h1 = x1 ≥ −1. IBP: relu(h1) ≥ relu(−1) = 0.
    const raw = crownOutputBounds(graph, b, { safety: 0, intersectIbp: false });
    expect((await values(raw.lower))[0]).toBeCloseTo(-1, 6);
    // Upper: slope 2/3, intercept (2/3)·1 → y ≤ (2/3)(x1 + 1) ≤ 2.
    expect((await values(raw.upper))[0]).toBeCloseTo(2, 5);
    const final = crownOutputBounds(graph, b, { safety: 0 });
    expect((await values(final.lower))[0]).toBeCloseTo(0, 6);
    expect((await values(final.upper))[0]).toBeCloseTo(2, 5);
    b.center.dispose();
    graph.dispose();
  });

  it('the float32 safety margin widens bounds by 1e-5·(1 + |b|) per concretisation', async () => {
    const graph = twoTwoOne([1, 1, 1, -1], [0, 0], [1, 1], 0);
    const b = ball();
    const crown = crownOutputBounds(graph, b);
    // Upper 3 widened once at the output: 3 + 1e-5·4 (the intermediate layer's bounds are widened too but the output's
    // dependence on them enters only through slopes, so the widened result stays within 1e-4).
    const upper = (await values(crown.upper))[0]!;
    expect(upper).toBeGreaterThan(3);
    expect(upper).toBeLessThan(3 + 2e-4);
    await values(crown.lower);
    b.center.dispose();
    graph.dispose();
  });
});

/** Points of the L∞ or L2 ball ∩ [0, 1] around each centre: corners/extremes plus uniform draws. */
function samplePoints(center: Float32Array, n: number, dims: number[], norm: 'linf' | 'l2', eps: number, count: number, seed: number): Tensor {
  const r = createRandom(seed);
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * count * size);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < count; c++) {
      const base = (s * count + c) * size;
      if (norm === 'linf') {
        for (let i = 0; i < size; i++) {
          const d = c < count / 2 ? (r.next() < 0.5 ? -eps : eps) : (r.next() * 2 - 1) * eps;
          out[base + i] = Math.min(1, Math.max(0, center[s * size + i]! + d));
        }
      } else {
        const dir = Array.from({ length: size }, () => r.normal());
        const norm2 = Math.sqrt(dir.reduce((a, v) => a + v * v, 0)) || 1;
        const radius = c < count / 2 ? eps : eps * r.next();
        for (let i = 0; i < size; i++) out[base + i] = Math.min(1, Math.max(0, center[s * size + i]! + (dir[i]! / norm2) * radius));
      }
    }
  }
  return tf.tensor(out, [n * count, ...dims]);
}

/** Projected gradient search for the extremes of every output (signed steps for L∞, normalised for L2). */
function gradientExtremes(run: (x: Tensor) => Tensor, center: Tensor, norm: 'linf' | 'l2', eps: number, outputs: number): { min: Tensor; max: Tensor } {
  return tf.tidy(() => {
    const mins: Tensor[] = [];
    const maxs: Tensor[] = [];
    const project = (x: Tensor): Tensor => {
      let d = tf.sub(x, center);
      if (norm === 'linf') d = tf.clipByValue(d, -eps, eps);
      else {
        const flat = tf.reshape(d, [d.shape[0]!, -1]);
        const nrm = tf.maximum(tf.norm(flat, 2, 1, true), 1e-12);
        d = tf.reshape(tf.mul(flat, tf.minimum(1, tf.div(eps, nrm))), d.shape);
      }
      return tf.clipByValue(tf.add(center, d), 0, 1);
    };
    for (let k = 0; k < outputs; k++) {
      for (const sign of [1, -1]) {
        let x = center;
        const g = tf.grad((v: Tensor) => tf.sum(tf.mul(tf.slice(run(v), [0, k], [-1, 1]), sign)));
        for (let step = 0; step < 25; step++) {
          const grad = g(x);
          const gradNorm = tf.reshape(tf.norm(tf.reshape(grad, [grad.shape[0]!, -1]), 2, 1, true), [grad.shape[0]!, ...grad.shape.slice(1).map(() => 1)]);
          const stepDir = norm === 'linf' ? tf.sign(grad) : tf.div(grad, tf.maximum(gradNorm, 1e-12));
          x = project(tf.add(x, tf.mul(stepDir, (eps / 8) * (1 - step / 25) + eps / 50)));
        }
        const y = tf.slice(run(x), [0, k], [-1, 1]);
        (sign === 1 ? maxs : mins).push(y);
      }
    }
    return { min: tf.concat(mins, 1), max: tf.concat(maxs, 1) };
  });
}

async function checkSoundness(net: RandomNetwork, norm: 'linf' | 'l2', eps: number, seed: number): Promise<{ ibpWidth: number; crownWidth: number; crownLooser: number }> {
  const onnx = parseOnnx(net.bytes, net.description);
  const graph = boundGraphFromOnnx(onnx);
  const imported = importOnnxGraph(onnx);
  const n = 3;
  const r = createRandom(seed + 1);
  const size = net.inputDims.reduce((a, b) => a * b, 1);
  const centerData = Float32Array.from({ length: n * size }, () => r.next());
  const center = tf.tensor(centerData, [n, ...net.inputDims]);
  const ball: InputBall = { center, norm, epsilon: eps, bounds: [0, 1] };
  const ibp = ibpOutputBounds(graph, ball);
  const crown = crownOutputBounds(graph, ball);
  const count = 48;
  const points = samplePoints(centerData, n, net.inputDims, norm, eps, count, seed + 2);
  const ys = imported.run(points);
  const yv = await ys.data();
  const extremes = gradientExtremes((x) => imported.run(x), center, norm, eps, net.outputs);
  const [il, iu, cl, cu, emin, emax] = await Promise.all([ibp.lower, ibp.upper, crown.lower, crown.upper, extremes.min, extremes.max].map((t) => t.data()));
  const k = net.outputs;
  let ibpWidth = 0;
  let crownWidth = 0;
  let crownLooser = 0;
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < k; j++) {
      const i = s * k + j;
      const tol = TOL * (1 + Math.abs(iu[i]!) + Math.abs(il[i]!));
      for (let c = 0; c < count; c++) {
        const y = yv[(s * count + c) * k + j]!;
        expect(y, `${net.description} sample ${s} output ${j}: IBP lower`).toBeGreaterThanOrEqual(il[i]! - tol);
        expect(y, `${net.description}: IBP upper`).toBeLessThanOrEqual(iu[i]! + tol);
        expect(y, `${net.description}: CROWN lower`).toBeGreaterThanOrEqual(cl[i]! - tol);
        expect(y, `${net.description}: CROWN upper`).toBeLessThanOrEqual(cu[i]! + tol);
      }
      for (const y of [emin[i]!, emax[i]!]) {
        expect(y, `${net.description}: gradient search vs IBP`).toBeGreaterThanOrEqual(il[i]! - tol);
        expect(y).toBeLessThanOrEqual(iu[i]! + tol);
        expect(y, `${net.description}: gradient search vs CROWN`).toBeGreaterThanOrEqual(cl[i]! - tol);
        expect(y).toBeLessThanOrEqual(cu[i]! + tol);
      }
      ibpWidth += iu[i]! - il[i]!;
      crownWidth += cu[i]! - cl[i]!;
      if (cl[i]! < il[i]! - tol || cu[i]! > iu[i]! + tol) crownLooser++;
    }
  }
  tf.dispose([ibp.lower, ibp.upper, crown.lower, crown.upper, ys, points, extremes.min, extremes.max, center]);
  imported.dispose?.();
  graph.dispose();
  return { ibpWidth, crownWidth, crownLooser };
}

describe('soundness on random networks (fast-check)', () => {
  it('dense ReLU nets, L∞: sampled outputs and gradient-search extremes lie inside IBP and CROWN; CROWN never looser than IBP', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0.01, max: 0.4, noNaN: true }), async (seed, eps) => {
        const r = await checkSoundness(randomDenseNetwork(seed, ['relu']), 'linf', eps, seed);
        expect(r.crownLooser).toBe(0);
      }),
      { numRuns: 15, seed: 7 },
    );
  });

  it('dense nets with Sigmoid/Tanh/ReLU, BatchNormalization, Sub/Div, MatMul+Add, L∞ and L2', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0.01, max: 0.6, noNaN: true }), fc.constantFrom('linf' as const, 'l2' as const), async (seed, eps, norm) => {
        await checkSoundness(randomDenseNetwork(seed, ['relu', 'sigmoid', 'tanh']), norm, eps, seed);
      }),
      { numRuns: 15, seed: 11 },
    );
  });

  it('small conv nets (Conv with pads/strides, ReLU, MaxPool/AveragePool, Flatten/Reshape, Gemm), L∞ and L2; CROWN never looser than IBP', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0.005, max: 0.2, noNaN: true }), fc.constantFrom('linf' as const, 'l2' as const), async (seed, eps, norm) => {
        const r = await checkSoundness(randomConvNetwork(seed), norm, eps, seed);
        if (norm === 'linf') expect(r.crownLooser).toBe(0);
      }),
      { numRuns: 8, seed: 5 },
    );
  });

  it('margins: CROWN ≥ IBP and α-CROWN ≥ CROWN on every margin lower bound (ReLU dense and conv nets)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.boolean(), async (seed, conv) => {
        const net = conv ? randomConvNetwork(seed) : randomDenseNetwork(seed, ['relu']);
        const graph = boundGraphFromOnnx(parseOnnx(net.bytes, net.description));
        const r = createRandom(seed);
        const size = net.inputDims.reduce((a, b) => a * b, 1);
        const center = tf.tensor(Float32Array.from({ length: 4 * size }, () => r.next()), [4, ...net.inputDims]);
        const labels = tf.tensor1d(Int32Array.from({ length: 4 }, () => r.int(net.outputs)), 'int32');
        const ball: InputBall = { center, norm: 'linf', epsilon: conv ? 0.05 : 0.1, bounds: [0, 1] };
        const [ibp, crown, alpha] = await Promise.all(
          [ibpMarginBounds(graph, ball, labels, net.outputs), crownMarginBounds(graph, ball, labels, net.outputs), alphaCrownMarginBounds(graph, ball, labels, net.outputs, { steps: 8 })].map(values),
        );
        for (let i = 0; i < ibp.length; i++) {
          expect(crown[i]!, net.description).toBeGreaterThanOrEqual(ibp[i]! - 1e-4 * (1 + Math.abs(ibp[i]!)));
          expect(alpha[i]!, net.description).toBeGreaterThanOrEqual(crown[i]!);
        }
        tf.dispose([center, labels]);
        graph.dispose();
      }),
      { numRuns: 15, seed: 3 },
    );
  });
});

describe('unsupported graphs', () => {
  it('one error lists every unsupported op and use, and says what to do', () => {
    const bytes = encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['N', 2, 4, 4] }],
      outputs: [{ name: 'y' }],
      initializers: [
        { name: 'w', dims: [2, 1, 3, 3], data: new Array(18).fill(0.1) },
        { name: 'fw', dims: [8, 3], data: new Array(24).fill(0.1) },
      ],
      nodes: [
        { opType: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { kernel_shape: [3, 3], group: 2 } },
        { opType: 'LeakyRelu', inputs: ['c'], outputs: ['l'] },
        { opType: 'Flatten', inputs: ['l'], outputs: ['f'], attributes: { axis: 1 } },
        { opType: 'Gemm', inputs: ['f', 'fw'], outputs: ['g'] },
        { opType: 'Softmax', inputs: ['g'], outputs: ['y'] },
      ],
    });
    let error: unknown;
    try {
      boundGraphFromOnnx(parseOnnx(bytes, 'bad.onnx'));
    } catch (e) {
      error = e;
    }
    expect(isRampartError(error)).toBe(true);
    const e = error as Error & { code: string; details: { unsupportedOps: string[] } };
    expect(e.code).toBe('ONNX_UNSUPPORTED_OPS');
    expect(e.details.unsupportedOps.sort()).toEqual(['LeakyRelu', 'Softmax']);
    expect(e.message).toContain('group');
    expect(e.message).toContain('Remove a final Softmax');
    expect(e.message).toContain('Supported op types: ');
  });
});

describe('leaks', () => {
  it('IBP, CROWN, α-CROWN and the forward pass release every tensor they make', async () => {
    const net = randomConvNetwork(42);
    const graph = boundGraphFromOnnx(parseOnnx(net.bytes, net.description));
    const center = tf.fill([2, ...net.inputDims], 0.5);
    const labels = tf.tensor1d([0, 1], 'int32');
    const ball: InputBall = { center, norm: 'l2', epsilon: 0.3, bounds: [0, 1] };
    await expectNoLeaks(() => {
      tf.dispose([ibpMarginBounds(graph, ball, labels, net.outputs), crownMarginBounds(graph, ball, labels, net.outputs)]);
      tf.dispose(alphaCrownMarginBounds(graph, ball, labels, net.outputs, { steps: 3 }));
      const o = crownOutputBounds(graph, ball);
      tf.dispose([o.lower, o.upper]);
      disposeIntervals(forwardBounds(graph, ball));
    });
    tf.dispose([center, labels]);
    graph.dispose();
  });
});
