/**
 * Parsing and import-level behaviour: typed graphs from bytes, initializers listed as inputs, unsupported ops
 * reported together, external data, fixed batch sizes on the ONNX Runtime path, folding and disposal.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { setupBackend } from '../backend.js';
import { onnxTypes } from './proto.js';
import { encodeOnnxModel, type OnnxModelSpec } from './build.js';
import { graphOpTypes, parseOnnx } from './graph.js';
import { importOnnxGraph } from './import.js';
import { loadOnnxModel } from './onnx-model.js';
import { RampartError } from '../../errors.js';
import { isDifferentiable } from '../model.js';

beforeAll(async () => {
  await setupBackend();
});

const dense: OnnxModelSpec = {
  inputs: [{ name: 'x', dims: ['batch', 3] }],
  outputs: [{ name: 'y', dims: ['batch', 2] }],
  initializers: [
    { name: 'W', dims: [3, 2], data: [1, 2, 3, 4, 5, 6] },
    { name: 'b', dims: [2], data: [0.5, -0.5], storage: 'typed' },
  ],
  nodes: [
    { opType: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] },
    { opType: 'Add', inputs: ['h', 'b'], outputs: ['z'] },
    { opType: 'Relu', inputs: ['z'], outputs: ['y'] },
  ],
};

describe('parseOnnx', () => {
  it('decodes nodes, attributes, raw and typed initializers, symbolic dims and the opset', () => {
    const bytes = encodeOnnxModel({
      ...dense,
      opset: 11,
      nodes: [...dense.nodes.slice(0, 2), { opType: 'LeakyRelu', inputs: ['z'], outputs: ['y'], attributes: { alpha: 0.25 } }],
      initializers: [...dense.initializers!, { name: 'shape', dims: [2], data: [-1, 7], type: 'int64', storage: 'typed' }],
    });
    const graph = parseOnnx(bytes, 'dense.onnx');
    expect(graph.opset).toBe(11);
    expect(graph.irVersion).toBe(7);
    expect(graph.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['batch', 3] }]);
    expect(graph.outputs[0].dims).toEqual(['batch', 2]);
    expect(Array.from(graph.initializers.get('W')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(graph.initializers.get('b')!.data as Float32Array)).toEqual([0.5, -0.5]);
    expect(Array.from(graph.initializers.get('shape')!.data as BigInt64Array)).toEqual([-1n, 7n]);
    expect(graph.nodes[2].attributes.get('alpha')).toBeCloseTo(0.25, 7);
    expect(graphOpTypes(graph)).toEqual(['Add', 'LeakyRelu', 'MatMul']);
  });

  it('takes initializers listed among the graph inputs (old exporters) as weights, not inputs', () => {
    const graph = parseOnnx(encodeOnnxModel({ ...dense, initializersAsInputs: true }), 'old.onnx');
    expect(graph.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('reports data stored in external files', () => {
    const model = onnxTypes.ModelProto.decode(encodeOnnxModel(dense)) as unknown as {
      graph: { initializer: { rawData: Uint8Array; dataLocation: number; externalData: { key: string; value: string }[] }[] };
    };
    const w = model.graph.initializer[0];
    w.rawData = new Uint8Array();
    w.dataLocation = 1;
    w.externalData = [{ key: 'location', value: 'weights.bin' }];
    const bytes = onnxTypes.ModelProto.encode(model as never).finish();
    expect(() => parseOnnx(bytes, 'ext.onnx')).toThrowError(/external file.*save_as_external_data=False/);
  });

  it('rejects raw data of the wrong length as MODEL_CORRUPT', () => {
    const model = onnxTypes.ModelProto.decode(encodeOnnxModel(dense)) as unknown as {
      graph: { initializer: { rawData: Uint8Array }[] };
    };
    model.graph.initializer[0].rawData = model.graph.initializer[0].rawData.subarray(0, 20);
    const bytes = onnxTypes.ModelProto.encode(model as never).finish();
    expect(() => parseOnnx(bytes, 'short.onnx')).toThrowError(/short\.onnx is not a valid ONNX model.*20 bytes/);
  });

  it('rejects empty files', () => {
    expect(() => parseOnnx(new Uint8Array(), 'empty.onnx')).toThrowError(/empty\.onnx is not a valid ONNX model \(the file is empty\)/);
  });
});

describe('importOnnxGraph', () => {
  it('lists every unsupported op type in one error, with what is supported', () => {
    const bytes = encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['n', 4] }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'k', dims: [1], data: [2], type: 'int64' }],
      nodes: [
        { opType: 'Einsum', inputs: ['x', 'x'], outputs: ['e'], attributes: { equation: 'ij,ij->ij' } },
        { opType: 'Relu', inputs: ['e'], outputs: ['r'] },
        { opType: 'TopK', inputs: ['r', 'k'], outputs: ['y', 'i'] },
        { opType: 'Einsum', inputs: ['y', 'y'], outputs: ['z'], attributes: { equation: 'ij,ij->ij' } },
      ],
    });
    let error: unknown;
    try {
      importOnnxGraph(parseOnnx(bytes, 'topk.onnx'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RampartError);
    expect((error as RampartError).code).toBe('ONNX_UNSUPPORTED_OPS');
    expect((error as RampartError).message).toMatch(/topk\.onnx uses 2 ONNX op types Rampart cannot import: Einsum, TopK\. Supported: .*Conv.*Gemm/);
    expect((error as RampartError).details.unsupported).toEqual(['Einsum', 'TopK']);
  });

  it('runs a dense graph with known answers, holds its weights once and frees them on dispose', () => {
    const before = tf.memory().numTensors;
    const imported = importOnnxGraph(parseOnnx(encodeOnnxModel(dense), 'dense.onnx'));
    expect(tf.memory().numTensors - before).toBe(imported.heldTensors);
    const x = tf.tensor2d([[1, 0, 0], [0, -1, 0]]);
    const y = imported.run(x);
    // [1,0,0]W + b = [1.5, 1.5]; [0,-1,0]W + b = [-2.5, -4.5] -> relu
    expect(Array.from(y.dataSync())).toEqual([1.5, 1.5, 0, 0]);
    tf.dispose([x, y]);
    imported.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('hands out a fresh tensor when the graph output is its input', () => {
    const imported = importOnnxGraph(
      parseOnnx(
        encodeOnnxModel({ inputs: [{ name: 'x', dims: ['n', 2] }], outputs: [{ name: 'y' }], nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }] }),
        'id.onnx',
      ),
    );
    const x = tf.tensor2d([[1, 2]]);
    const y = imported.run(x);
    y.dispose();
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });
});

describe('ONNX Runtime path with a fixed batch size', () => {
  it('runs 5 samples through a model whose batch is fixed at 2, padding the last chunk', async () => {
    const model = await loadOnnxModel(
      encodeOnnxModel({ ...dense, inputs: [{ name: 'x', dims: [2, 3] }], outputs: [{ name: 'y', dims: [2, 2] }] }),
    );
    expect(model.inputShape).toEqual([3]);
    expect(model.numClasses).toBe(2);
    const x = tf.tensor2d(Array.from({ length: 15 }, (_, i) => (i % 4) - 1.5), [5, 3]);
    const viaOrt = await model.logits(x);
    const viaTfjs = model.logitsSync(x);
    expect(viaOrt.shape).toEqual([5, 2]);
    expect(Array.from(viaOrt.dataSync())).toEqual(Array.from(viaTfjs.dataSync()));
    tf.dispose([x, viaOrt, viaTfjs]);
    model.dispose();
  });

  it('forward-only models run on ONNX Runtime and refuse gradients clearly', async () => {
    const model = await loadOnnxModel(encodeOnnxModel(dense), { forwardOnly: true });
    const x = tf.tensor2d([[1, 0, 0]]);
    const y = await model.logits(x);
    expect(Array.from(y.dataSync())).toEqual([1.5, 1.5]);
    expect(() => model.logitsSync(x)).toThrowError(/forward-only/);
    expect(isDifferentiable(model)).toBe(false); // the harness rejects gradient attacks before any compute
    tf.dispose([x, y]);
    model.dispose();
  });
});
