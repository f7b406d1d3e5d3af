/**
 * Tests for the TF.js → ONNX exporter: each model is built with seeded weights, exported, run in ONNX Runtime
 * on seeded NHWC inputs and compared with TF.js (`max |Δ| ≤ 1e-4` on the logits before a final softmax).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from './tf.js';
import { setupBackend } from './backend.js';
import { exportToOnnx, type ExportOnnxOptions } from './export-onnx.js';
import { onnxTypes } from './onnx/proto.js';
import { RampartError } from '../errors.js';

type LayersModel = tfl.LayersModel;
type SymbolicTensor = tfl.SymbolicTensor;

let seed = 1;
const kernel = () => tfl.initializers.glorotUniform({ seed: seed++ });
const bias = () => tfl.initializers.randomNormal({ mean: 0, stddev: 0.2, seed: seed++ });

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

/** Logits of a TF.js model: the input of a final softmax (fused in Dense/Conv2D or a separate layer). */
function referenceLogits(model: LayersModel, x: tf.Tensor): Float32Array {
  const layers = model.layers;
  const lastLayer = layers[layers.length - 1];
  const config = lastLayer.getConfig() as { activation?: string };
  const cls = lastLayer.getClassName();
  return tf.tidy(() => {
    if (cls === 'Activation' || cls === 'Softmax') {
      if (cls === 'Activation' && config.activation !== 'softmax') return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
      const sub = tfl.model({ inputs: model.inputs, outputs: lastLayer.input as SymbolicTensor });
      return (sub.predict(x) as tf.Tensor).dataSync() as Float32Array;
    }
    if (cls === 'Dense' && config.activation === 'softmax') {
      const sub = tfl.model({ inputs: model.inputs, outputs: lastLayer.input as SymbolicTensor });
      const h = sub.predict(x) as tf.Tensor2D;
      const [k, b] = lastLayer.getWeights() as [tf.Tensor2D, tf.Tensor1D];
      return tf.add(tf.matMul(h, k), b).dataSync() as Float32Array;
    }
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function runOnnx(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    const t = out[session.outputNames[0]];
    return { data: t.data as Float32Array, dims: t.dims };
  } finally {
    await session.release();
  }
}

/** Exports, runs both engines on a seeded batch of 3 and returns the max abs difference. */
async function compare(model: LayersModel, options?: ExportOnnxOptions, reference = referenceLogits): Promise<number> {
  const sampleShape = model.inputs[0].shape.slice(1) as number[];
  const dims = [3, ...sampleShape];
  const x = tf.randomUniform(dims, 0, 1, 'float32', seed++);
  try {
    const input = x.dataSync() as Float32Array;
    const expected = reference(model, x);
    const bytes = exportToOnnx(model, options);
    const actual = await runOnnx(bytes, Float32Array.from(input), dims);
    expect(actual.dims[0]).toBe(3);
    return maxAbsDiff(actual.data, expected);
  } finally {
    x.dispose();
  }
}

function decode(bytes: Uint8Array) {
  return onnxTypes.ModelProto.toObject(onnxTypes.ModelProto.decode(bytes), { longs: Number, defaults: true }) as {
    irVersion: number;
    opsetImport: { domain: string; version: number }[];
    producerName: string;
    metadataProps: { key: string; value: string }[];
    graph: {
      node: { opType: string; input: string[]; output: string[]; attribute: { name: string; ints: number[]; i: number }[] }[];
      input: { name: string; type: { tensorType: { shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[];
      output: { name: string; type: { tensorType: { shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[];
      initializer: { name: string }[];
    };
  };
}

function metadata(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(decode(bytes).metadataProps.map((p) => [p.key, p.value]));
}

function catchError(fn: () => unknown): RampartError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RampartError);
    return e as RampartError;
  }
  throw new Error('expected a RampartError');
}

describe('exportToOnnx: numerical agreement with TF.js', () => {
  it('MLP on [N, F] with dropout, relu/tanh and a final softmax (stripped)', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [20], units: 32, activation: 'relu', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.dropout({ rate: 0.5 }),
        tfl.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
    const bytes = exportToOnnx(model);
    expect(metadata(bytes)).toMatchObject({ 'rampart.output': 'logits', 'rampart.softmaxStripped': 'true', 'rampart.inputLayout': 'NF' });
    const ops = decode(bytes).graph.node.map((n) => n.opType);
    expect(ops).not.toContain('Softmax');
    expect(ops).not.toContain('Transpose');
  });

  it('keeps the final softmax with stripSoftmax: false and then matches model.predict', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [6], units: 8, activation: 'sigmoid', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    const predict = (m: LayersModel, x: tf.Tensor) => tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    expect(await compare(model, { stripSoftmax: false }, predict)).toBeLessThanOrEqual(1e-5);
    const bytes = exportToOnnx(model, { stripSoftmax: false });
    expect(metadata(bytes)['rampart.output']).toBe('probabilities');
    expect(decode(bytes).graph.node.map((n) => n.opType)).toContain('Softmax');
  });

  it('image MLP: NHWC input + Flatten + Dense without bias', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [4, 5, 3] }),
        tfl.layers.dense({ units: 8, activation: 'sigmoid', useBias: false, kernelInitializer: kernel() }),
        tfl.layers.dense({ units: 5, kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
    expect(metadata(exportToOnnx(model))['rampart.inputLayout']).toBe('NHWC');
  });

  it('CNN with same/valid conv, stride 1 and 2, asymmetric same padding, BN, max and average pooling', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [9, 9, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu',
          kernelInitializer: kernel(), biasInitializer: bias(),
        }),
        // 9 → 5 with kernel 4, stride 2: total padding 3, split 1 before / 2 after as TF does.
        tfl.layers.conv2d({ filters: 5, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.batchNormalization({
          epsilon: 0.01,
          gammaInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }),
          betaInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed++ }),
          movingMeanInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed++ }),
          movingVarianceInitializer: tfl.initializers.randomUniform({ minval: 0.2, maxval: 2, seed: seed++ }),
        }),
        tfl.layers.activation({ activation: 'elu' }),
        tfl.layers.conv2d({ filters: 6, kernelSize: 2, strides: 1, padding: 'valid', activation: 'tanh', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
        // 4 → 2 with pool 3, stride 2, 'same': the border windows average over real pixels only.
        tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
    const bytes = exportToOnnx(model);
    const ops = decode(bytes).graph.node.map((n) => n.opType);
    // one transpose into NCHW before the first conv, one back before Flatten
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2);
    expect(ops.indexOf('Transpose')).toBe(0);
    expect(ops.lastIndexOf('Transpose')).toBe(ops.indexOf('Flatten') - 1);
    const conv = decode(bytes).graph.node.filter((n) => n.opType === 'Conv')[1];
    expect(conv.attribute.find((a) => a.name === 'pads')?.ints).toEqual([1, 1, 2, 2]);
    const avg = decode(bytes).graph.node.find((n) => n.opType === 'AveragePool');
    expect(avg?.attribute.find((a) => a.name === 'count_include_pad')?.i).toBe(0);
  });

  it('valid pooling, dilated same conv, leakyRelu, sigmoid, global average pooling', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [10, 8, 2], filters: 3, kernelSize: [3, 2], dilationRate: 2, padding: 'same',
          kernelInitializer: kernel(), biasInitializer: bias(),
        }),
        tfl.layers.leakyReLU({ alpha: 0.2 }),
        tfl.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }),
        tfl.layers.maxPooling2d({ poolSize: [2, 1], strides: [1, 2], padding: 'valid' }),
        tfl.layers.activation({ activation: 'sigmoid' }),
        tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, kernelInitializer: kernel() }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
  });

  it('conv32-pool-conv64-pool-dense128-dense10 on 28×28×1', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dropout({ rate: 0.25 }),
        tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
    const proto = decode(exportToOnnx(model));
    expect(proto.graph.input[0].type.tensorType.shape.dim).toEqual([
      expect.objectContaining({ dimParam: 'N' }),
      expect.objectContaining({ dimValue: 28 }),
      expect.objectContaining({ dimValue: 28 }),
      expect.objectContaining({ dimValue: 1 }),
    ]);
    expect(proto.graph.output[0].type.tensorType.shape.dim.map((d) => d.dimParam || d.dimValue)).toEqual(['N', 10]);
  });

  it('Dense → Reshape → depthwise conv → softmax Activation layer (stripped) in a functional chain', async () => {
    const input = tfl.input({ shape: [12] });
    let h = tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: kernel(), biasInitializer: bias() }).apply(input) as SymbolicTensor;
    h = tfl.layers.reshape({ targetShape: [4, 4, 2] }).apply(h) as SymbolicTensor;
    h = tfl.layers.depthwiseConv2d({
      kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: kernel(), biasInitializer: bias(),
    }).apply(h) as SymbolicTensor;
    h = tfl.layers.batchNormalization({
      movingMeanInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed++ }),
      movingVarianceInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: seed++ }),
    }).apply(h) as SymbolicTensor;
    h = tfl.layers.flatten().apply(h) as SymbolicTensor;
    h = tfl.layers.dense({ units: 6, kernelInitializer: kernel(), biasInitializer: bias() }).apply(h) as SymbolicTensor;
    h = tfl.layers.activation({ activation: 'softmax' }).apply(h) as SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: h });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
  });

  it('BatchNormalization on [N, F] and a mid-graph softmax', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 6, kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.batchNormalization({
          center: false,
          movingMeanInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed++ }),
          movingVarianceInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: seed++ }),
        }),
        tfl.layers.softmax(),
        tfl.layers.dense({ units: 3, kernelInitializer: kernel(), biasInitializer: bias() }),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
  });

  it('every other fused activation, ReLU(maxValue), ELU and ZeroPadding2D', async () => {
    const acts = ['relu6', 'hardSigmoid', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'mish', 'gelu'] as const;
    const model = tfl.sequential({
      layers: [
        tfl.layers.zeroPadding2d({ inputShape: [5, 4, 2], padding: [[1, 2], [0, 1]] }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'relu6', kernelInitializer: kernel(), biasInitializer: bias() }),
        tfl.layers.reLU({ maxValue: 0.8 }),
        tfl.layers.elu(), // TF.js supports only alpha = 1
        tfl.layers.flatten(),
        ...acts.map((activation) =>
          tfl.layers.dense({ units: 6, activation, kernelInitializer: tfl.initializers.randomNormal({ stddev: 1.5, seed: seed++ }), biasInitializer: bias() }),
        ),
      ],
    });
    expect(await compare(model)).toBeLessThanOrEqual(1e-4);
  });

  it('allocates no tensors', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, kernelInitializer: kernel() }), tfl.layers.flatten()],
    });
    const before = tf.memory().numTensors;
    exportToOnnx(model);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('exportToOnnx: protobuf and options', () => {
  const mlp = () =>
    tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, kernelInitializer: kernel(), biasInitializer: bias() })] });

  it('round-trips through ModelProto.decode with IR 7, opset 13 and the requested names', () => {
    const bytes = exportToOnnx(mlp(), { producer: 'rampart-test', inputName: 'x', outputName: 'scores' });
    const proto = decode(bytes);
    expect(proto.irVersion).toBe(7);
    expect(proto.opsetImport).toEqual([{ domain: '', version: 13 }]);
    expect(proto.producerName).toBe('rampart-test');
    expect(proto.graph.input[0].name).toBe('x');
    expect(proto.graph.output[0].name).toBe('scores');
    expect(proto.graph.node[proto.graph.node.length - 1].output).toEqual(['scores']);
    // re-encoding the decoded message gives the same bytes
    const again = onnxTypes.ModelProto.encode(onnxTypes.ModelProto.decode(bytes)).finish();
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('writes IR 8 for later opsets and rejects bad options', async () => {
    const model = mlp();
    const bytes = exportToOnnx(model, { opset: 17 });
    expect(decode(bytes).irVersion).toBe(8);
    expect(decode(bytes).opsetImport[0].version).toBe(17);
    expect(await compare(model, { opset: 17 })).toBeLessThanOrEqual(1e-5);
    expect(catchError(() => exportToOnnx(model, { opset: 11 })).code).toBe('BAD_OPTION');
    expect(catchError(() => exportToOnnx(model, { inputName: 'a', outputName: 'a' })).code).toBe('BAD_OPTION');
  });

  it('a model of only identity layers still has a graph output', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dropout({ inputShape: [4], rate: 0.3 })] });
    expect(await compare(model)).toBe(0);
  });
});

describe('exportToOnnx: unsupported models', () => {
  it('lists every unsupported layer class in one MODEL_UNSUPPORTED error', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2dTranspose({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2, strides: 2 }),
        tfl.layers.reshape({ targetShape: [8, 16] }),
        tfl.layers.lstm({ units: 3, recurrentInitializer: kernel() }), // the default orthogonal initialiser fails under tfjs-core 4.22
        tfl.layers.dense({ units: 2, activation: 'gelu_new' }),
      ],
    });
    const err = catchError(() => exportToOnnx(model));
    expect(err.code).toBe('MODEL_UNSUPPORTED');
    expect(err.message).toContain('Conv2DTranspose');
    expect(err.message).toContain('LSTM');
    expect(err.message).toContain("activation 'gelu_new'");
    expect(err.details.unsupported).toEqual(['Conv2DTranspose', 'LSTM', 'Dense']);
  });

  it('rejects functional models that are not a single chain', () => {
    const input = tfl.input({ shape: [4] });
    const a = tfl.layers.dense({ units: 4 }).apply(input) as SymbolicTensor;
    const sum = tfl.layers.add().apply([input, a]) as SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: sum });
    const err = catchError(() => exportToOnnx(model));
    expect(err.code).toBe('MODEL_UNSUPPORTED');
    expect(err.message).toMatch(/linear chain/);
  });
});
