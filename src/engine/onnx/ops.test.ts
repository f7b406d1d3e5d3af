/**
 * Op-level conformance: tiny one-to-few-node graphs written with `encodeOnnxModel`, run through the tfjs
 * import and through ONNX Runtime (an independent implementation of the ONNX spec), on seeded random inputs.
 * Each case also checks the import's input gradient against a central finite difference, and that nothing leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { setupBackend } from '../backend.js';
import { createRandom } from '../random.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';
import { encodeOnnxModel, type OnnxNodeSpec, type OnnxTensorSpec } from './build.js';
import { loadOnnxModel } from './onnx-model.js';

interface OpCase {
  name: string;
  /** Sample dims (batch excluded); the batch is symbolic 'n'. */
  input: number[];
  nodes: OnnxNodeSpec[];
  initializers?: OnnxTensorSpec[];
  opset?: number;
  /** Skip the finite-difference check (integer-valued or kinked outputs). */
  noGradient?: boolean;
  /** Input value range (default [-1, 1]). */
  range?: [number, number];
}

const random = createRandom(1234);
const weights = (name: string, dims: number[], scale = 0.5): OnnxTensorSpec => ({
  name,
  dims,
  data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random.next() * 2 - 1) * scale),
});
const ints = (name: string, data: number[], storage: 'raw' | 'typed' = 'raw'): OnnxTensorSpec => ({
  name,
  dims: [data.length],
  data,
  type: 'int64',
  storage,
});
const node = (opType: string, inputs: string[], attributes: OnnxNodeSpec['attributes'] = {}, outputs = ['y']): OnnxNodeSpec => ({
  opType,
  inputs,
  outputs,
  attributes,
});
const unary = (opType: string, attributes: OnnxNodeSpec['attributes'] = {}, input = [2, 3]): OpCase => ({
  name: `${opType} ${JSON.stringify(attributes)}`,
  input,
  nodes: [node(opType, ['x'], attributes)],
});

const cases: OpCase[] = [
  {
    name: 'Gemm alpha beta transB',
    input: [4],
    initializers: [weights('B', [3, 4]), weights('C', [3])],
    nodes: [node('Gemm', ['x', 'B', 'C'], { alpha: 0.5, beta: { float: 2 }, transB: 1 })],
  },
  {
    name: 'Gemm transA via Transpose, typed float_data',
    input: [4],
    initializers: [{ ...weights('B', [4, 2]), storage: 'typed' }],
    nodes: [node('Transpose', ['x'], {}, ['xt']), node('Gemm', ['xt', 'B'], { transA: 1 })],
  },
  { name: 'MatMul 3-D by 2-D', input: [3, 4], initializers: [weights('W', [4, 5])], nodes: [node('MatMul', ['x', 'W'])] },
  {
    name: 'Add Sub Mul Div with broadcasting',
    input: [2, 3],
    initializers: [weights('a', [3]), weights('b', [2, 1]), { name: 'c', dims: [], data: [2.5] }],
    nodes: [
      node('Add', ['x', 'a'], {}, ['t1']),
      node('Sub', ['t1', 'b'], {}, ['t2']),
      node('Mul', ['t2', 'c'], {}, ['t3']),
      node('Div', ['t3', 'c'], {}, ['t4']),
      node('Div', ['c', 't4'], {}, ['y']),
    ],
    range: [0.5, 1],
  },
  unary('Neg'),
  unary('Relu'),
  unary('LeakyRelu', { alpha: 0.2 }),
  unary('Sigmoid'),
  unary('Tanh'),
  unary('Exp'),
  unary('Elu', { alpha: 0.5 }),
  unary('Softplus'),
  { name: 'Softmax opset 11 axis 1 (coerced to 2-D)', input: [2, 3], opset: 11, nodes: [node('Softmax', ['x'])] },
  { name: 'Softmax opset 13 axis 1 (one axis)', input: [2, 3], nodes: [node('Softmax', ['x'], { axis: 1 })] },
  { name: 'LogSoftmax opset 11 default axis', input: [2, 3], opset: 11, nodes: [node('LogSoftmax', ['x'])] },
  { name: 'LogSoftmax opset 13 default axis', input: [2, 3], nodes: [node('LogSoftmax', ['x'])] },
  {
    name: 'Conv strides, asymmetric pads, bias',
    input: [2, 7, 6],
    initializers: [weights('W', [3, 2, 3, 2]), weights('b', [3])],
    nodes: [node('Conv', ['x', 'W', 'b'], { strides: [2, 1], pads: [0, 1, 2, 0] })],
  },
  {
    name: 'Conv dilations with stride, group 2',
    input: [4, 9, 9],
    initializers: [weights('W', [6, 2, 3, 3])],
    nodes: [node('Conv', ['x', 'W'], { dilations: [2, 2], strides: [2, 2], group: 2, pads: [1, 1, 1, 1] })],
  },
  {
    name: 'Conv depthwise, auto_pad SAME_UPPER stride 2',
    input: [3, 6, 5],
    initializers: [weights('W', [3, 1, 3, 3])],
    nodes: [node('Conv', ['x', 'W'], { group: 3, auto_pad: 'SAME_UPPER', strides: [2, 2] })],
  },
  {
    name: 'Conv auto_pad SAME_LOWER kernel 2',
    input: [1, 5, 5],
    initializers: [weights('W', [2, 1, 2, 2])],
    nodes: [node('Conv', ['x', 'W'], { auto_pad: 'SAME_LOWER' })],
  },
  {
    name: 'Conv 1-D',
    input: [2, 8],
    initializers: [weights('W', [3, 2, 3]), weights('b', [3])],
    nodes: [node('Conv', ['x', 'W', 'b'], { pads: [1, 0], strides: [2] })],
  },
  {
    name: 'MaxPool pads',
    input: [2, 7, 7],
    nodes: [node('MaxPool', ['x'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
  },
  {
    name: 'MaxPool ceil_mode',
    input: [2, 8, 7],
    nodes: [node('MaxPool', ['x'], { kernel_shape: [3, 2], strides: [3, 2], ceil_mode: 1 })],
  },
  {
    name: 'MaxPool auto_pad SAME_UPPER',
    input: [1, 5, 6],
    nodes: [node('MaxPool', ['x'], { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })],
  },
  {
    name: 'AveragePool count_include_pad 0',
    input: [2, 6, 5],
    nodes: [node('AveragePool', ['x'], { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 0, 1, 2] })],
  },
  {
    name: 'AveragePool count_include_pad 1',
    input: [2, 6, 5],
    nodes: [node('AveragePool', ['x'], { kernel_shape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1], count_include_pad: 1 })],
  },
  {
    name: 'AveragePool ceil_mode count_include_pad 1',
    input: [1, 7, 7],
    nodes: [node('AveragePool', ['x'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 })],
  },
  { name: 'AveragePool no pads', input: [2, 4, 4], nodes: [node('AveragePool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] })] },
  { name: 'GlobalAveragePool', input: [3, 4, 5], nodes: [node('GlobalAveragePool', ['x'])] },
  {
    name: 'BatchNormalization',
    input: [3, 2, 2],
    initializers: [weights('s', [3]), weights('b', [3]), weights('m', [3]), { name: 'v', dims: [3], data: [0.5, 1, 2] }],
    nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], { epsilon: 1e-3 })],
  },
  { name: 'Flatten axis 2', input: [2, 3, 4], nodes: [node('Flatten', ['x'], { axis: 2 })] },
  {
    name: 'Reshape with 0 and -1',
    input: [2, 3, 4],
    initializers: [ints('shape', [0, -1, 2], 'typed')],
    nodes: [node('Reshape', ['x', 'shape'])],
  },
  { name: 'Transpose perm', input: [2, 3, 4], nodes: [node('Transpose', ['x'], { perm: [0, 3, 1, 2] })] },
  {
    name: 'Squeeze/Unsqueeze opset 11 attributes',
    input: [1, 3],
    opset: 11,
    nodes: [node('Squeeze', ['x'], { axes: [1] }, ['s']), node('Unsqueeze', ['s'], { axes: [0, 3] }, ['u']), node('Transpose', ['u'], { perm: [1, 0, 2, 3] })],
  },
  {
    name: 'Squeeze/Unsqueeze opset 13 inputs',
    input: [1, 3],
    initializers: [ints('a1', [1]), ints('a2', [-1])],
    nodes: [node('Squeeze', ['x', 'a1'], {}, ['s']), node('Unsqueeze', ['s', 'a2'])],
  },
  {
    name: 'Concat with a Constant, Identity, Dropout',
    input: [2, 3],
    nodes: [
      { opType: 'Constant', inputs: [], outputs: ['k'], attributes: { value: { tensor: { dims: [1, 2, 3], data: [1, 2, 3, 4, 5, 6] } } } },
      node('Shape', ['x'], {}, ['sx']),
      node('Expand', ['k', 'sx'], {}, ['kk']),
      node('Identity', ['x'], {}, ['i']),
      node('Dropout', ['i'], {}, ['d']),
      node('Concat', ['d', 'kk'], { axis: -1 }),
    ],
  },
  { name: 'Clip opset 6 attributes', input: [5], opset: 6, nodes: [node('Clip', ['x'], { min: { float: -0.3 }, max: { float: 0.4 } })] },
  {
    name: 'Clip opset 13 inputs (min only)',
    input: [5],
    initializers: [{ name: 'lo', dims: [], data: [-0.2] }],
    nodes: [node('Clip', ['x', 'lo', ''])],
  },
  {
    name: 'Pad constant with value',
    input: [2, 3, 3],
    initializers: [ints('p', [0, 0, 1, 2, 0, 0, 0, 1]), { name: 'v', dims: [], data: [0.7] }],
    nodes: [node('Pad', ['x', 'p', 'v'])],
  },
  { name: 'Pad reflect', input: [2, 4, 4], initializers: [ints('p', [0, 0, 1, 2, 0, 0, 2, 1])], nodes: [node('Pad', ['x', 'p'], { mode: 'reflect' })] },
  { name: 'Pad edge', input: [2, 3, 3], initializers: [ints('p', [0, 0, 2, 1, 0, 0, 1, 2])], nodes: [node('Pad', ['x', 'p'], { mode: 'edge' })] },
  { name: 'Pad opset 2 attributes, negative pad crops', input: [4, 4], opset: 2, nodes: [node('Pad', ['x'], { pads: [0, -1, 1, 0, 0, 2] })] },
  {
    name: 'PyTorch view idiom: Shape -> Gather -> Unsqueeze -> Concat -> Reshape',
    input: [2, 3, 2],
    initializers: [ints('zero', [0]), ints('rest', [-1])],
    nodes: [
      node('Shape', ['x'], {}, ['s']),
      { opType: 'Constant', inputs: [], outputs: ['i0'], attributes: { value: { tensor: { dims: [], data: [0], type: 'int64' } } } },
      node('Gather', ['s', 'i0'], { axis: 0 }, ['n']),
      node('Unsqueeze', ['n', 'zero'], {}, ['n1']),
      node('Concat', ['n1', 'rest'], { axis: 0 }, ['shape']),
      node('Reshape', ['x', 'shape']),
    ],
  },
  {
    name: 'Shape arithmetic with Cast, Mul, Div and ConstantOfShape',
    input: [2, 3],
    initializers: [ints('two', [2])],
    nodes: [
      node('Shape', ['x'], {}, ['s']),
      node('Cast', ['s'], { to: 1 }, ['sf']),
      node('Cast', ['sf'], { to: 7 }, ['si']),
      node('Mul', ['si', 'two'], {}, ['s2']),
      node('Div', ['s2', 'two'], {}, ['s3']),
      node('Reshape', ['x', 's3'], {}, ['r']),
      { opType: 'ConstantOfShape', inputs: ['s3'], outputs: ['c'], attributes: { value: { tensor: { dims: [1], data: [0.25] } } } },
      node('Add', ['r', 'c']),
    ],
  },
  {
    name: 'Greater, Less, Equal masks cast to float (a ReLU-relaxation step)',
    input: [2, 3],
    initializers: [weights('t', [3]), { name: 'zero', dims: [], data: [0] }],
    nodes: [
      node('Greater', ['x', 't'], {}, ['g']),
      node('Less', ['x', 'zero'], {}, ['l']),
      node('Cast', ['g'], { to: 1 }, ['gf']),
      node('Cast', ['l'], { to: 1 }, ['lf']),
      node('Equal', ['g', 'l'], {}, ['e']),
      node('Cast', ['e'], { to: 1 }, ['ef']),
      node('Add', ['gf', 'lf'], {}, ['s']),
      node('Add', ['s', 'ef'], {}, ['s2']),
      node('Mul', ['s2', 'x']),
    ],
    noGradient: true, // tfjs has no gradient for Equal (masks are piecewise constant)
  },
  {
    name: 'Slice opset 13 with axes and steps, negative step',
    input: [5, 6],
    initializers: [ints('st', [4, 1]), ints('en', [0, 100]), ints('ax', [1, 2]), ints('sp', [-2, 2])],
    nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'sp'])],
  },
  {
    name: 'Slice opset 9 attributes',
    input: [5, 6],
    opset: 9,
    nodes: [node('Slice', ['x'], { starts: [1, -3], ends: [4, 1000], axes: [1, 2] })],
  },
  {
    name: 'Gather on data, negative index',
    input: [4, 3],
    initializers: [ints('idx', [-1, 0])],
    nodes: [node('Gather', ['x', 'idx'], { axis: 2 })],
  },
  {
    name: 'ReduceMean opset 13 attribute, ReduceSum input',
    input: [3, 4],
    initializers: [ints('ax', [1])],
    nodes: [node('ReduceMean', ['x'], { axes: [2], keepdims: 0 }, ['m']), node('ReduceSum', ['m', 'ax'], { keepdims: 1 })],
  },
];

beforeAll(async () => {
  await setupBackend();
});

describe('ONNX op rules agree with ONNX Runtime', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, testCase) => {
    const batch = 3;
    const bytes = encodeOnnxModel({
      opset: testCase.opset ?? 13,
      irVersion: testCase.opset !== undefined && testCase.opset < 7 ? 3 : 7,
      inputs: [{ name: 'x', dims: ['n', ...testCase.input] }],
      outputs: [{ name: 'y' }],
      initializers: testCase.initializers,
      nodes: testCase.nodes,
    });
    const model = await loadOnnxModel(bytes, { layout: 'nhwc', numClasses: 1, id: testCase.name });
    const [lo, hi] = testCase.range ?? [-1, 1];
    const rng = createRandom(testCase.name.length);
    const perSample = testCase.input.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: batch * perSample }, () => lo + rng.next() * (hi - lo));
    await expectNoLeaks(async () => {
      const x = tf.tensor(values, [batch, ...testCase.input]);
      const viaOrt = await model.logitsOrt(x);
      const viaTfjs = model.logitsTfjs(x);
      expect(viaTfjs.shape).toEqual(viaOrt.shape);
      const a = viaOrt.dataSync();
      const b = viaTfjs.dataSync();
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `element ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[i])));
      if (!testCase.noGradient) {
        tf.tidy(() => {
          // d/dt sum(w · f(x + t v)) at t = 0, against the import's gradient of the same scalar.
          const w = tf.tensor(Float32Array.from(a, (_, i) => Math.cos(i)), viaTfjs.shape);
          const direction = Float32Array.from(values, (_, i) => Math.sin(i * 3.7 + 1));
          const objective = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(model.logitsSync(input), w));
          const gradient = tf.grad(objective)(x);
          const analytic = tf.sum(tf.mul(gradient, tf.tensor(direction, x.shape))).dataSync()[0];
          const h = 1e-3;
          const at = (t: number): number =>
            tf.tidy(() => objective(tf.tensor(Float32Array.from(values, (v, i) => v + t * direction[i]), x.shape)).dataSync()[0]);
          const numeric = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(numeric - analytic)).toBeLessThan(1e-2 * Math.max(1, Math.abs(analytic)));
        });
      }
      tf.dispose([x, viaOrt, viaTfjs]);
    });
    model.dispose();
  });
});
