/**
 * The ONNX backward graphs against the tfjs reference: for every backward rule a tiny graph (the op between the
 * input and a dense head with 5 classes) whose ONNX Runtime input gradient must equal the gradient tfjs computes
 * through the importer, for every loss; central finite differences on a smooth graph; the PyTorch fixtures and
 * ACAS Xu networks; fallbacks that name their reason; no leaked tensors or live sessions.
 */
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor, type Tensor1D } from '../tf.js';
import { setupBackend } from '../backend.js';
import { createRandom } from '../random.js';
import { lossNames, type LossName } from '../losses.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';
import { encodeOnnxModel, type OnnxNodeSpec, type OnnxTensorSpec } from '../onnx/build.js';
import { parseOnnx } from '../onnx/graph.js';
import { loadOnnxModel, type OnnxModel } from '../onnx/onnx-model.js';
import { createOrtGradient, createOrtGradientSession } from '../ort-gradient.js';
import { buildBackwardGraph, backwardSupport } from './generate.js';
import { builtinBackwardRules } from './builtin.js';
import { builtinOnnxOps } from '../onnx/builtin.js';
import { probeShapes } from './shapes.js';
import { sharedDir } from '../../../test/helpers/shared.js';

const random = createRandom(20240611);
const weights = (name: string, dims: number[], scale = 0.5): OnnxTensorSpec => ({
  name,
  dims,
  data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random.next() * 2 - 1) * scale),
});
const ints = (name: string, data: number[]): OnnxTensorSpec => ({ name, dims: [data.length], data, type: 'int64' });
const node = (opType: string, inputs: string[], output: string, attributes: OnnxNodeSpec['attributes'] = {}): OnnxNodeSpec => ({
  opType,
  inputs,
  outputs: [output],
  attributes,
});

interface Case {
  name: string;
  /** Sample dims (batch symbolic). */
  input: number[];
  /** Nodes from 'x' to 'body'. */
  nodes: OnnxNodeSpec[];
  initializers?: OnnxTensorSpec[];
  /** Input range (default [-1, 1]). */
  range?: [number, number];
}

/** The case's body followed by Flatten and a 5-class dense head; logits output. */
function caseModel(c: Case): Uint8Array {
  const body = encodeOnnxModel({
    inputs: [{ name: 'x', dims: ['n', ...c.input] }],
    outputs: [{ name: 'body' }],
    initializers: c.initializers,
    nodes: c.nodes,
  });
  const facts = probeShapes(parseOnnx(body, c.name)).facts.get('body')!;
  const features = facts.dims.slice(1).reduce((a, b) => a * b, 1);
  return encodeOnnxModel({
    inputs: [{ name: 'x', dims: ['n', ...c.input] }],
    outputs: [{ name: 'logits', dims: ['n', 5] }],
    initializers: [...(c.initializers ?? []), weights('head_w', [features, 5]), weights('head_b', [5])],
    nodes: [
      ...c.nodes,
      node('Flatten', ['body'], 'flat', { axis: 1 }),
      node('Gemm', ['flat', 'head_w', 'head_b'], 'logits', { alpha: { float: 1 }, beta: { float: 1 } }),
    ],
  });
}

const image = [2, 6, 6];
const cases: Case[] = [
  { name: 'Gemm transA/transB alpha beta', input: [6], nodes: [node('Gemm', ['x', 'w', 'b'], 'body', { transB: 1, alpha: 0.7, beta: 1.3 })], initializers: [weights('w', [4, 6]), weights('b', [1, 4])] },
  {
    name: 'Gemm with transA on an active A',
    input: [4],
    nodes: [node('Transpose', ['x'], 't', { perm: [1, 0] }), node('Gemm', ['t', 'w', 'b'], 'body', { transA: 1, transB: 1 })],
    initializers: [weights('w', [3, 4]), weights('b', [3])],
  },
  { name: 'MatMul 2-D', input: [6], nodes: [node('MatMul', ['x', 'w'], 'body')], initializers: [weights('w', [6, 3])] },
  { name: 'MatMul 3-D × 2-D', input: [3, 4], nodes: [node('MatMul', ['x', 'w'], 'body')], initializers: [weights('w', [4, 2])] },
  { name: 'MatMul batched', input: [3, 4], nodes: [node('Transpose', ['x'], 't', { perm: [0, 2, 1] }), node('MatMul', ['x', 't'], 'body')] },
  { name: 'Add broadcast bias and active', input: [3, 4], nodes: [node('Add', ['x', 'b'], 'a'), node('Add', ['a', 'x'], 'body')], initializers: [weights('b', [4])] },
  { name: 'Sub and Div normalisation', input: image, nodes: [node('Sub', ['x', 'm'], 's'), node('Div', ['s', 'd'], 'body')], initializers: [weights('m', [2, 1, 1]), { name: 'd', dims: [2, 1, 1], data: [0.3, 0.7] }] },
  { name: 'Sub/Div active on both sides', input: [4], nodes: [node('Sigmoid', ['x'], 's'), node('Add', ['s', 'one'], 'p'), node('Sub', ['one', 'x'], 'q'), node('Div', ['q', 'p'], 'body')], initializers: [{ name: 'one', dims: [], data: [1] }] },
  { name: 'Mul active × active', input: [4], nodes: [node('Mul', ['x', 'x'], 'm'), node('Mul', ['m', 'c'], 'body')], initializers: [weights('c', [1, 4])] },
  { name: 'Pow constant', input: [4], range: [0.2, 1.5], nodes: [node('Pow', ['x', 'p'], 'body')], initializers: [{ name: 'p', dims: [], data: [2.5] }] },
  { name: 'Neg, Exp, Abs', input: [4], nodes: [node('Neg', ['x'], 'n'), node('Exp', ['n'], 'e'), node('Abs', ['x'], 'a'), node('Add', ['e', 'a'], 'body')] },
  { name: 'Log, Sqrt, Reciprocal', input: [4], range: [0.3, 2], nodes: [node('Log', ['x'], 'l'), node('Sqrt', ['x'], 's'), node('Reciprocal', ['x'], 'r'), node('Add', ['l', 's'], 'u'), node('Add', ['u', 'r'], 'body')] },
  { name: 'Relu', input: [6], nodes: [node('Relu', ['x'], 'body')] },
  { name: 'LeakyRelu', input: [6], nodes: [node('LeakyRelu', ['x'], 'body', { alpha: 0.2 })] },
  { name: 'Sigmoid, Tanh', input: [6], nodes: [node('Sigmoid', ['x'], 's'), node('Tanh', ['s'], 'body')] },
  { name: 'Softplus, Elu', input: [6], nodes: [node('Softplus', ['x'], 's'), node('Elu', ['x'], 'e', { alpha: 0.5 }), node('Add', ['s', 'e'], 'body')] },
  { name: 'Clip both bounds', input: [6], nodes: [node('Clip', ['x', 'lo', 'hi'], 'body')], initializers: [{ name: 'lo', dims: [], data: [-0.3] }, { name: 'hi', dims: [], data: [0.4] }] },
  { name: 'Clip min only, Identity, Dropout', input: [6], nodes: [node('Clip', ['x', 'lo'], 'c'), node('Identity', ['c'], 'i'), node('Dropout', ['i'], 'body')], initializers: [{ name: 'lo', dims: [], data: [-0.2] }] },
  { name: 'Conv stride 2, asymmetric pads', input: image, nodes: [node('Conv', ['x', 'w', 'b'], 'body', { strides: [2, 2], pads: [1, 0, 0, 1] })], initializers: [weights('w', [3, 2, 3, 3]), weights('b', [3])] },
  { name: 'Conv dilation 2', input: image, nodes: [node('Conv', ['x', 'w'], 'body', { dilations: [2, 2], pads: [2, 1, 2, 1] })], initializers: [weights('w', [3, 2, 3, 3])] },
  { name: 'Conv SAME_UPPER stride 2', input: [2, 7, 7], nodes: [node('Conv', ['x', 'w'], 'body', { strides: [2, 2], auto_pad: 'SAME_UPPER' })], initializers: [weights('w', [3, 2, 2, 2])] },
  { name: 'Conv group 2 and depthwise', input: [4, 5, 5], nodes: [node('Conv', ['x', 'w1'], 'g', { group: 2, pads: [1, 1, 1, 1] }), node('Conv', ['g', 'w2'], 'body', { group: 4, strides: [2, 2] })], initializers: [weights('w1', [4, 2, 3, 3]), weights('w2', [4, 1, 2, 2])] },
  { name: 'Conv 1-D', input: [2, 9], nodes: [node('Conv', ['x', 'w'], 'body', { strides: [2], pads: [1, 1] })], initializers: [weights('w', [3, 2, 3])] },
  { name: 'Relu then MaxPool 2×2 (swapped)', input: image, nodes: [node('Relu', ['x'], 'r'), node('MaxPool', ['r'], 'body', { kernel_shape: [2, 2], strides: [2, 2] })] },
  { name: 'MaxPool 3×3/2 overlapping with pads', input: image, nodes: [node('MaxPool', ['x'], 'body', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })] },
  { name: 'MaxPool ceil_mode', input: [2, 7, 7], nodes: [node('MaxPool', ['x'], 'body', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })] },
  { name: 'AveragePool pads, exclude pad', input: image, nodes: [node('AveragePool', ['x'], 'body', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })] },
  { name: 'AveragePool include pad, ceil', input: [2, 7, 7], nodes: [node('AveragePool', ['x'], 'body', { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 0, 0, 1], count_include_pad: 1, ceil_mode: 1 })] },
  { name: 'GlobalAveragePool, GlobalMaxPool', input: image, nodes: [node('GlobalAveragePool', ['x'], 'a'), node('GlobalMaxPool', ['x'], 'm'), node('Concat', ['a', 'm'], 'body', { axis: 1 })] },
  {
    name: 'BatchNormalization',
    input: image,
    nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], 'body', { epsilon: 0.001 })],
    initializers: [weights('s', [2]), weights('b', [2]), weights('m', [2]), { name: 'v', dims: [2], data: [0.5, 1.7] }],
  },
  { name: 'Softmax, LogSoftmax', input: [3, 4], nodes: [node('Softmax', ['x'], 's', { axis: 1 }), node('LogSoftmax', ['x'], 'l', { axis: -1 }), node('Add', ['s', 'l'], 'body')] },
  { name: 'ReduceMean keepdims, ReduceSum', input: [3, 4], nodes: [node('ReduceMean', ['x'], 'm', { axes: [2], keepdims: 1 }), node('ReduceSum', ['x', 'ax'], 's', { keepdims: 0 }), node('Mul', ['x', 'm'], 'p'), node('Unsqueeze', ['s', 'ax'], 'su'), node('Add', ['p', 'su'], 'body')], initializers: [ints('ax', [1])] },
  { name: 'Reshape, Transpose, Squeeze, Unsqueeze', input: [2, 3, 4], nodes: [node('Transpose', ['x'], 't', { perm: [0, 3, 1, 2] }), node('Unsqueeze', ['t', 'a1'], 'u'), node('Squeeze', ['u', 'a1'], 's'), node('Reshape', ['s', 'shape'], 'body')], initializers: [ints('a1', [2]), ints('shape', [0, -1, 6])] },
  { name: 'Concat with itself, Slice', input: [4, 5], nodes: [node('Concat', ['x', 'x'], 'c', { axis: 2 }), node('Slice', ['c', 'st', 'en', 'ax'], 'body')], initializers: [ints('st', [1, 2]), ints('en', [3, 9]), ints('ax', [1, 2])] },
  { name: 'Pad constant (grow and crop)', input: image, nodes: [node('Pad', ['x', 'pads'], 'body', { mode: 'constant' })], initializers: [ints('pads', [0, 0, 1, -1, 0, 1, 2, 0])] },
  { name: 'Expand', input: [1, 4], nodes: [node('Expand', ['x', 'shape'], 'body')], initializers: [ints('shape', [3, 4])] },
];

const N = 4;

async function compare(model: OnnxModel, loss: LossName, range: [number, number] = [-1, 1], seed = 7): Promise<{ gradient: number; loss: number; logits: number }> {
  {
    const x = tf.randomUniform([N, ...model.inputShape], range[0], range[1], 'float32', seed);
    const labels = tf.tensor1d([0, 1, 2, 3].map((v) => v % model.numClasses), 'float32') as Tensor1D;
    const targets = tf.tensor1d([2, 3, 4, 0].map((v) => v % model.numClasses), 'float32') as Tensor1D;
    const ort = await model.lossAndGradient(x, labels, loss, targets);
    const ref = model.lossAndGradientSync(x, labels, loss, targets);
    const relative = (a: Tensor, b: Tensor): number =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]));
    const out = { gradient: relative(ort.gradient, ref.gradient), loss: relative(ort.loss, ref.loss), logits: relative(ort.logits, ref.logits) };
    tf.dispose([x, labels, targets, ort.gradient, ort.loss, ort.logits, ref.gradient, ref.loss, ref.logits]);
    return out;
  }
}

beforeAll(async () => {
  await setupBackend();
});

describe('backward rules', () => {
  it('exist for every op the ONNX importer has, except the ones that end differentiable paths', () => {
    // Comparisons output bools: like shapes and constants they end differentiable paths.
    const nonDifferentiable = new Set(['Constant', 'ConstantOfShape', 'Shape', 'Gather', 'Equal', 'Greater', 'Less']);
    const missing = builtinOnnxOps.opTypes().filter((op) => !builtinBackwardRules.get(op) && !nonDifferentiable.has(op));
    expect(missing).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name}: ONNX Runtime gradient equals the tfjs gradient for every loss`, async () => {
      const model = await loadOnnxModel(caseModel(c), { id: c.name, gradients: 'ort' });
      try {
        expect(await model.gradientEngine()).toEqual({ engine: 'onnxruntime' });
        for (const loss of lossNames) {
          const d = await expectNoLeaks(() => compare(model, loss, c.range));
          expect(d.logits, `${loss} logits`).toBeLessThan(1e-5);
          expect(d.loss, `${loss} loss`).toBeLessThan(1e-4);
          expect(d.gradient, `${loss} gradient`).toBeLessThan(1e-4);
        }
      } finally {
        model.dispose();
      }
    });
  }
});

describe('losses', () => {
  it('match central finite differences of the per-sample loss (float64 reference on a smooth graph)', async () => {
    const bytes = caseModel({ name: 'smooth', input: [6], nodes: [node('Gemm', ['x', 'w', 'b'], 'h'), node('Tanh', ['h'], 'body')], initializers: [weights('w', [6, 8], 1), weights('b', [8])] });
    const model = await loadOnnxModel(bytes, { gradients: 'ort' });
    try {
      const x = tf.randomUniform([N, 6], -1, 1, 'float32', 3);
      const labels = tf.tensor1d([0, 1, 2, 3]) as Tensor1D;
      const targets = tf.tensor1d([4, 3, 0, 1]) as Tensor1D;
      const xs = x.dataSync();
      for (const loss of lossNames) {
        const result = await model.lossAndGradient(x, labels, loss, targets);
        const g = result.gradient.dataSync();
        const h = 1e-2;
        for (const k of [0, 7, 13, 23]) {
          const at = (delta: number): number => {
            const shifted = Float32Array.from(xs);
            shifted[k] += delta;
            return tf.tidy(() => {
              const r = model.lossAndGradientSync(tf.tensor2d(shifted, [N, 6]), labels, loss, targets);
              const sum = tf.sum(r.loss).dataSync()[0];
              tf.dispose([r.gradient, r.logits, r.loss]);
              return sum;
            });
          };
          const numeric = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(numeric - g[k]), `${loss} at ${k}: ${numeric} vs ${g[k]}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
        }
        tf.dispose([result.gradient, result.loss, result.logits]);
      }
      tf.dispose([x, labels, targets]);
    } finally {
      model.dispose();
    }
  });

  it('weight the gradient per sample: weight −1 negates it, weight 0 removes it', async () => {
    const bytes = fs.readFileSync('test/fixtures/onnx/mnist-mlp.onnx');
    const engine = await createOrtGradient(bytes, { layout: 'nchw' });
    try {
      const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5);
      const labels = tf.tensor1d([1, 2, 3]) as Tensor1D;
      const plain = await engine.lossAndGradient(x, labels, 'cw-margin');
      const weighted = await engine.lossAndGradient(x, labels, 'cw-margin', undefined, new Float32Array([-1, 0, 2]));
      const a = plain.gradient.arraySync() as number[][][][];
      const b = weighted.gradient.arraySync() as number[][][][];
      const flat = (v: number[][][]) => v.flat(2);
      expect(flat(b[0])).toEqual(flat(a[0]).map((v) => -v));
      expect(flat(b[1]).every((v) => v === 0)).toBe(true);
      flat(b[2]).forEach((v, i) => expect(v).toBeCloseTo(2 * flat(a[2])[i], 6));
      expect(Array.from(weighted.loss.dataSync())).toEqual(Array.from(plain.loss.dataSync()));
      tf.dispose([x, labels, plain.gradient, plain.loss, plain.logits, weighted.gradient, weighted.loss, weighted.logits]);
    } finally {
      await engine.release();
    }
  });
});

const acas = `${sharedDir()}/benchmarks/acasxu/onnx`;
const fixtures = [
  'test/fixtures/onnx/mnist-cnn-norm.onnx',
  'test/fixtures/onnx/mnist-cnn-flat.onnx',
  'test/fixtures/onnx/mnist-mlp.onnx',
  ...(fs.existsSync(acas) ? [`${acas}/ACASXU_run2a_1_1_batch_2000.onnx`, `${acas}/ACASXU_run2a_3_7_batch_2000.onnx`, `${acas}/ACASXU_run2a_5_9_batch_2000.onnx`] : []),
];

describe('fixtures', () => {
  for (const file of fixtures) {
    it(`${file.split('/').pop()}: ONNX Runtime gradients equal tfjs for every loss`, async () => {
      const model = await loadOnnxModel(file, { gradients: 'ort' });
      try {
        for (const loss of lossNames) {
          const d = await expectNoLeaks(() => compare(model, loss, [0, 1]));
          expect(d.logits, `${loss} logits`).toBeLessThan(1e-5);
          expect(d.loss, `${loss} loss`).toBeLessThan(1e-4);
          expect(d.gradient, `${loss} gradient`).toBeLessThan(1e-4);
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('ACAS Xu (declared batch 1) runs any batch in one call', () => {
    if (!fs.existsSync(acas)) return;
    const g = buildBackwardGraph(fs.readFileSync(`${acas}/ACASXU_run2a_1_1_batch_2000.onnx`));
    expect(g.fixedBatch).toBeUndefined();
    expect(g.sampleDims).toEqual([1, 1, 5]);
    expect(g.numClasses).toBe(5);
  });
});

describe('sessions', () => {
  it('run big batches in chunks with the same results, summing weight gradients over chunks', async () => {
    const bytes = caseModel({ name: 'chunks', input: [6], nodes: [node('Gemm', ['x', 'w', 'b'], 'h', { transB: 1 }), node('Relu', ['h'], 'body')], initializers: [weights('w', [7, 6]), weights('b', [7])] });
    const graph = buildBackwardGraph(bytes, { loss: 'dlr', trainable: 'all' });
    const whole = await createOrtGradientSession(graph);
    const chunked = await createOrtGradientSession(graph, { maxChunk: 2 });
    try {
      const n = 5;
      const x = Float32Array.from({ length: n * 6 }, () => random.next() * 2 - 1);
      const oneHot = new Float32Array(n * 5);
      for (let i = 0; i < n; i++) oneHot[i * 5 + (i % 5)] = 1;
      const weight = Float32Array.from({ length: n }, (_, i) => 1 - i / 3);
      const a = await whole.run(x, n, oneHot, weight);
      const b = await chunked.run(x, n, oneHot, weight);
      const close = (p: Float32Array, q: Float32Array) => p.forEach((v, i) => expect(v).toBeCloseTo(q[i], 5));
      close(b.logits, a.logits);
      close(b.loss, a.loss);
      close(b.inputGradient!, a.inputGradient!);
      for (const [name, g] of a.parameterGradients) close(b.parameterGradients.get(name)!, g);
    } finally {
      await whole.release();
      await chunked.release();
    }
  });
});

describe('fallback', () => {
  const gatherModel = () =>
    caseModel({ name: 'gather', input: [6], nodes: [node('Gather', ['x', 'idx'], 'body', { axis: 1 })], initializers: [ints('idx', [0, 2, 5])] });

  it('an op without a backward rule falls back to tfjs and says why', async () => {
    const bytes = gatherModel();
    expect(backwardSupport(bytes)).toEqual({ supported: false, reasons: [expect.stringMatching(/^Gather has no backward rule \(node Gather_0\)/)] });
    const model = await loadOnnxModel(bytes);
    try {
      const engine = await model.gradientEngine();
      expect(engine.engine).toBe('tfjs');
      expect(engine.reason).toMatch(/Gather has no backward rule/);
      const x = tf.randomUniform([2, 6], -1, 1, 'float32', 1);
      const labels = tf.tensor1d([0, 1]) as Tensor1D;
      const a = await model.lossAndGradient(x, labels);
      const b = model.lossAndGradientSync(x, labels);
      expect(Array.from(a.gradient.dataSync())).toEqual(Array.from(b.gradient.dataSync()));
      tf.dispose([x, labels, a.gradient, a.loss, a.logits, b.gradient, b.loss, b.logits]);
    } finally {
      model.dispose();
    }
  });

  it("gradients: 'ort' refuses, listing every reason at once", async () => {
    const bytes = caseModel({
      name: 'two reasons',
      input: image,
      nodes: [node('Pad', ['x', 'pads'], 'p', { mode: 'reflect' }), node('MaxPool', ['p'], 'body', { kernel_shape: [2, 2], storage_order: 1 })],
      initializers: [ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])],
    });
    await expect(loadOnnxModel(bytes, { gradients: 'ort' }).then((m) => m.lossAndGradient(tf.zeros([1, ...m.inputShape]), tf.tensor1d([0]) as Tensor1D))).rejects.toThrow(
      /storage_order=1 is not supported.*Pad mode "reflect" has no backward rule/,
    );
  });

  it('a released engine refuses further calls', async () => {
    const engine = await createOrtGradient(fs.readFileSync('test/fixtures/onnx/mnist-mlp.onnx'), { layout: 'nchw' });
    await engine.release();
    await expect(engine.lossAndGradient(tf.zeros([1, 28, 28, 1]), tf.tensor1d([0]) as Tensor1D)).rejects.toThrow(/released/);
  });
});
