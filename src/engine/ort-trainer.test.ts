/**
 * Weight gradients and optimizer steps through ONNX Runtime against tfjs: dLoss/dW of Rampart's CNN and MLP
 * equal `tf.variableGrads` (conv kernels compared after OIHW → HWIO), SGD-momentum and Adam steps leave the same
 * weights as tfjs' optimizers, and weight-gradient rules (Gemm, MatMul + Add, Conv with stride and pads,
 * BatchNormalization, Mul) match central finite differences of the loss; the GEMM forms of Conv weight gradients
 * (per offset from 16 input channels, per sample below; strides, dilations, pads, SAME) equal the
 * Conv-with-the-gradient-as-filter form.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from './tf.js';
import { setupBackend } from './backend.js';
import { createRandom } from './random.js';
import { crossEntropy, dlr } from './losses.js';
import { buildArchitecture } from '../harden/architectures.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { encodeOnnxModel, type OnnxNodeSpec, type OnnxTensorSpec } from './onnx/build.js';
import { buildBackwardGraph } from './onnx-grad/generate.js';
import { createOrtGradientSession, createOrtGradientForLayersModel } from './ort-gradient.js';
import { copyWeightsToLayersModel, createOrtTrainer, createOrtTrainerForLayersModel } from './ort-trainer.js';
import { exportToOnnx } from './export-onnx.js';
import { parseOnnx } from './onnx/graph.js';
import { probeShapes } from './onnx-grad/shapes.js';
import { BackwardRegistry } from './onnx-grad/registry.js';
import { builtinBackwardRules } from './onnx-grad/builtin.js';
import { convFilterRule } from './onnx-grad/rules/nn.js';
import { maxRelativeDifference } from './kernels/testing.js';

const N = 6;
const random = createRandom(99);

function batch(shape: number[], classes: number): { x: Float32Array; labels: number[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    x: Float32Array.from({ length: N * size }, () => random.next()),
    labels: Array.from({ length: N }, (_, i) => (i * 7) % classes),
  };
}

/** tfjs mean cross-entropy gradients of every trainable weight, by tensor name, conv kernels as OIHW. */
function tfjsGradients(model: LayersModel, x: Float32Array, labels: number[]): Map<string, Float32Array> {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const out = new Map<string, Float32Array>();
  tf.tidy(() => {
    const input = tf.tensor(x, [N, ...shape]);
    const y = tf.tensor1d(labels) as Tensor1D;
    const { grads } = tf.variableGrads(() => tf.mean(crossEntropy(model.apply(input) as Tensor2D, y)) as tf.Scalar);
    for (const [name, g] of Object.entries(grads)) {
      const laidOut = g.rank === 4 ? tf.transpose(g, [3, 2, 0, 1]) : g;
      out.set(name, laidOut.dataSync() as Float32Array);
    }
  });
  return out;
}


beforeAll(async () => {
  await setupBackend();
});

describe('weight gradients', () => {
  for (const arch of ['cnn', 'mlp'] as const) {
    it(`${arch}: ONNX Runtime dLoss/dW equals tf.variableGrads for every weight`, async () => {
      const model = buildArchitecture(arch, [12, 12, 1], 10, 3);
      const { x, labels } = batch([12, 12, 1], 10);
      const trainer = await createOrtTrainerForLayersModel(model);
      try {
        const ort = await trainer.gradients(x, labels, N);
        const ref = tfjsGradients(model, x, labels);
        expect([...ort.keys()].sort()).toEqual(model.trainableWeights.map((w) => w.originalName).sort());
        for (const variable of model.trainableWeights) {
          const name = variable.originalName;
          const reference = ref.get(model.weights.find((w) => w.originalName === name)!.name) ?? ref.get(name);
          expect(reference, name).toBeDefined();
          expect(maxRelativeDifference(ort.get(name)!, reference!), name).toBeLessThan(1e-4);
        }
      } finally {
        await trainer.release();
        model.dispose();
      }
    });
  }

  it('SGD-momentum and Adam steps leave the weights tfjs optimizers leave', async () => {
    for (const optimizer of ['sgd', 'adam'] as const) {
      const ours = buildArchitecture('cnn', [10, 10, 1], 4, 11);
      const theirs = buildArchitecture('cnn', [10, 10, 1], 4, 11);
      const trainer = await createOrtTrainerForLayersModel(ours, { optimizer, learningRate: 0.05, momentum: 0.9 });
      const tfOptimizer = optimizer === 'sgd' ? tf.train.momentum(0.05, 0.9) : tf.train.adam(0.05, 0.9, 0.999, 1e-7);
      try {
        for (let step = 0; step < 3; step++) {
          const { x, labels } = batch([10, 10, 1], 4);
          await trainer.step(x, labels, N);
          tf.tidy(() => {
            const input = tf.tensor(x, [N, 10, 10, 1]);
            const y = tf.tensor1d(labels) as Tensor1D;
            tfOptimizer.minimize(() => tf.mean(crossEntropy(theirs.apply(input) as Tensor2D, y)) as tf.Scalar);
          });
        }
        copyWeightsToLayersModel(trainer, ours);
        const a = ours.getWeights();
        const b = theirs.getWeights();
        a.forEach((w, i) => expect(maxRelativeDifference(w.dataSync() as Float32Array, b[i].dataSync() as Float32Array), `${optimizer} weight ${i}`).toBeLessThan(1e-4));
        expect(trainer.steps).toBe(3);
      } finally {
        tfOptimizer.dispose();
        await trainer.release();
        ours.dispose();
        theirs.dispose();
      }
    }
  });
});

describe('weight-gradient rules against finite differences', () => {
  const w = (name: string, dims: number[], scale = 0.5): OnnxTensorSpec => ({
    name,
    dims,
    data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random.next() * 2 - 1) * scale),
  });
  const n = (opType: string, inputs: string[], output: string, attributes: OnnxNodeSpec['attributes'] = {}): OnnxNodeSpec => ({ opType, inputs, outputs: [output], attributes });
  const bytes = encodeOnnxModel({
    inputs: [{ name: 'x', dims: ['n', 2, 5, 5] }],
    outputs: [{ name: 'logits', dims: ['n', 4] }],
    initializers: [
      w('cw', [3, 2, 3, 3]), w('cb', [3]),
      w('bs', [3]), w('bb', [3]), w('bm', [3]), { name: 'bv', dims: [3], data: [0.4, 1.1, 0.8] },
      w('mul', [3, 1, 1]),
      w('mw', [27, 6]), w('mb', [6]),
      w('gw', [4, 6]), w('gb', [4]),
    ],
    nodes: [
      n('Conv', ['x', 'cw', 'cb'], 'c', { strides: [2, 2], pads: [1, 1, 1, 1] }),
      n('BatchNormalization', ['c', 'bs', 'bb', 'bm', 'bv'], 'bn', { epsilon: 0.01 }),
      n('Mul', ['bn', 'mul'], 'm'),
      n('Tanh', ['m'], 't'),
      n('Flatten', ['t'], 'f', { axis: 1 }),
      n('MatMul', ['f', 'mw'], 'mm'),
      n('Add', ['mm', 'mb'], 'a'),
      n('Sigmoid', ['a'], 's'),
      n('Gemm', ['s', 'gw', 'gb'], 'logits', { transB: 1, alpha: 0.9, beta: { float: 1 } }),
    ],
  });

  it('every trainable weight, cross-entropy and cw-margin', async () => {
    for (const loss of ['cross-entropy', 'cw-margin'] as const) {
      const graph = buildBackwardGraph(bytes, { loss, inputGradient: false, trainable: 'all' });
      expect(graph.parameters.map((p) => p.name).sort()).toEqual(['bb', 'bs', 'cb', 'cw', 'gb', 'gw', 'mb', 'mul', 'mw'].sort());
      const session = await createOrtGradientSession(graph);
      try {
        const { x, labels } = batch([2, 5, 5], 4);
        const oneHot = new Float32Array(N * 4);
        labels.forEach((l, i) => (oneHot[i * 4 + l] = 1));
        const weight = new Float32Array(N).fill(1);
        const base = await session.run(x, N, oneHot, weight);
        for (const p of graph.parameters) {
          const g = base.parameterGradients.get(p.name)!;
          for (const k of [0, Math.floor(p.initial.length / 2), p.initial.length - 1]) {
            const at = async (delta: number): Promise<number> => {
              const shifted = Float32Array.from(p.initial);
              shifted[k] += delta;
              const r = await session.run(x, N, oneHot, weight, new Map([[p.name, shifted]]));
              return r.loss.reduce((a, b) => a + b, 0);
            };
            const h = 1e-2;
            const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
            expect(Math.abs(numeric - g[k]), `${loss} ${p.name}[${k}]: ${numeric} vs ${g[k]}`).toBeLessThan(3e-3 + 2e-2 * Math.abs(numeric));
          }
        }
      } finally {
        await session.release();
      }
    }
  });
});

describe('Conv weight gradient as GEMMs over kernel-offset windows', () => {
  const n = (opType: string, inputs: string[], output: string, attributes: OnnxNodeSpec['attributes'] = {}): OnnxNodeSpec => ({ opType, inputs, outputs: [output], attributes });
  const conv = (channels: number, kernel: [number, number], attributes: OnnxNodeSpec['attributes'], size: [number, number] = [7, 6]): Uint8Array => {
    const weights = (name: string, dims: number[]): OnnxTensorSpec => ({ name, dims, data: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random.next() - 0.5) });
    const body = encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['n', channels, ...size] }],
      outputs: [{ name: 'c' }],
      initializers: [weights('cw', [3, channels, ...kernel]), weights('cb', [3])],
      nodes: [n('Conv', ['x', 'cw', 'cb'], 'c', attributes)],
    });
    const features = probeShapes(parseOnnx(body, 'conv')).facts.get('c')!.dims.slice(1).reduce((a, b) => a * b, 1);
    return encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['n', channels, ...size] }],
      outputs: [{ name: 'logits', dims: ['n', 4] }],
      initializers: [weights('cw', [3, channels, ...kernel]), weights('cb', [3]), weights('hw', [features, 4])],
      nodes: [n('Conv', ['x', 'cw', 'cb'], 'c', attributes), n('Tanh', ['c'], 't'), n('Flatten', ['t'], 'f', { axis: 1 }), n('MatMul', ['f', 'hw'], 'logits')],
    });
  };
  const convFilterRegistry = new BackwardRegistry().register(
    ...builtinBackwardRules.opTypes().map((op) => (op === 'Conv' ? convFilterRule : builtinBackwardRules.get(op)!)),
  );
  const configs: [string, [number, number], OnnxNodeSpec['attributes']][] = [
    ['3×3', [3, 3], {}],
    ['3×3 stride 2, asymmetric pads', [3, 3], { strides: [2, 2], pads: [1, 0, 1, 1] }],
    ['2×3 dilation 2, pads 1', [2, 3], { dilations: [2, 2], pads: [1, 1, 1, 1] }],
    ['3×2 stride (1, 2), SAME_UPPER', [3, 2], { strides: [1, 2], auto_pad: 'SAME_UPPER' }],
  ];
  it('few input channels with large per-sample columns (2·9·64·64 > 64k values) keep the Conv form', () => {
    const graph = buildBackwardGraph(conv(2, [3, 3], {}, [66, 66]), { inputGradient: false, trainable: ['cw', 'cb'] });
    expect(new TextDecoder('latin1').decode(graph.bytes).includes('rampart_grad/Conv_')).toBe(true);
  });

  for (const [name, kernel, attributes] of configs) {
    for (const channels of [16, 2]) {
      it(`${channels} channels, ${name}: equals the Conv-form weight gradient; no Conv in the backward part`, async () => {
        const bytes = conv(channels, kernel, attributes);
        const gemm = buildBackwardGraph(bytes, { inputGradient: false, trainable: ['cw', 'cb'] });
        const reference = buildBackwardGraph(bytes, { inputGradient: false, trainable: ['cw', 'cb'], registry: convFilterRegistry });
        const emitted = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes).includes('rampart_grad/Conv_');
        expect(emitted(gemm.bytes)).toBe(false);
        expect(emitted(reference.bytes)).toBe(true);
        const { x, labels } = batch([channels, 7, 6], 4);
        const oneHot = new Float32Array(N * 4);
        labels.forEach((l, i) => (oneHot[i * 4 + l] = 1));
        const results = [];
        for (const graph of [gemm, reference]) {
          const session = await createOrtGradientSession(graph);
          try {
            results.push(await session.run(x, N, oneHot, new Float32Array(N).fill(1)));
          } finally {
            await session.release();
          }
        }
        for (const p of ['cw', 'cb']) {
          expect(maxRelativeDifference(results[0].parameterGradients.get(p)!, results[1].parameterGradients.get(p)!), p).toBeLessThan(1e-5);
        }
      });
    }
  }
});

describe('TF.js fast path', () => {
  it('createOrtGradientForLayersModel equals the tfjs input gradient without leaking', async () => {
    const model = buildArchitecture('cnn', [12, 12, 1], 10, 5);
    const engine = await createOrtGradientForLayersModel(model);
    try {
      const x = tf.randomUniform([N, 12, 12, 1], 0, 1, 'float32', 2);
      const labels = tf.tensor1d([0, 1, 2, 3, 4, 5]) as Tensor1D;
      await expectNoLeaks(async () => {
        const ort = await engine.lossAndGradient(x, labels, 'dlr');
        const ref = tf.tidy(() => tf.grad((input: Tensor) => tf.sum(dlr(model.apply(input) as Tensor2D, labels)))(x));
        expect(maxRelativeDifference(ort.gradient.dataSync() as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-4);
        tf.dispose([ort.gradient, ort.loss, ort.logits, ref]);
      });
      tf.dispose([x, labels]);
    } finally {
      await engine.release();
      model.dispose();
    }
  });

  it('rejects bad options and bad batches with clear messages', async () => {
    const model = buildArchitecture('mlp', [4, 4, 1], 3, 1);
    await expect(createOrtTrainerForLayersModel(model, { learningRate: -1 })).rejects.toThrow(/learningRate/);
    const trainer = await createOrtTrainer(exportToOnnx(model), { trainable: ['no-such-weight'] }).catch((e: Error) => e);
    expect(trainer).toBeInstanceOf(Error);
    expect((trainer as Error).message).toMatch(/is not a float32 initializer/);
    const ok = await createOrtTrainerForLayersModel(model);
    await expect(ok.step(new Float32Array(5), [0], 1)).rejects.toThrow(/need 16 input values/);
    await expect(ok.step(new Float32Array(16), [7], 1)).rejects.toThrow(/label 7/);
    await ok.release();
    model.dispose();
  });
});
