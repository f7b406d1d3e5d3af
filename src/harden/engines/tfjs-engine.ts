/**
 * Training engine on tfjs autodiff (the active backend). Slower than ONNX Runtime on the CNN, but it takes any
 * scalar objective of the network's output (`objectiveGradients`), so label smoothing, TRADES' KL term and
 * interval-bound losses train here, and layers in training mode (dropout, batch norm batch statistics) work.
 * Weights are the LayersModel's trainable variables, mirrored as host arrays for the shared optimizer.
 * @example
 * const engine = createTfjsEngine(model);
 * const { gradients } = engine.objectiveGradients((apply) => tf.mean(crossEntropy(apply(x, true), y)));
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor2D } from '../../engine/tf.js';
import { crossEntropy, cwMargin } from '../../engine/losses.js';
import { sampleSize, type TrainingEngine, type WeightGradientResult } from './engine.js';

export type ApplyNetwork = (x: Tensor, training?: boolean) => Tensor2D;

export interface TfjsTrainingEngine extends TrainingEngine {
  readonly kind: 'tfjs';
  readonly layersModel: LayersModel;
  /** The network as a function (training=true turns on dropout and batch statistics). */
  apply: ApplyNetwork;
  /** Gradients of any scalar objective with respect to every trainable weight (host arrays), and its value. */
  objectiveGradients(objective: (apply: ApplyNetwork) => tf.Scalar): { value: number; gradients: Map<string, Float32Array> };
}

export function createTfjsEngine(model: LayersModel): TfjsTrainingEngine {
  const variables = model.trainableWeights;
  const weights = new Map(variables.map((v) => [v.name, Float32Array.from(v.read().dataSync() as Float32Array)]));
  const sampleShape = model.inputs[0].shape.slice(1) as number[];
  const numClasses = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  const perSample = sampleSize(sampleShape);
  const apply: ApplyNetwork = (x, training = false) => model.apply(x, { training }) as Tensor2D;
  const toTensor = (x: Float32Array, count: number) => tf.tensor(x, [count, ...sampleShape]);
  const objectiveGradients = (objective: (apply: ApplyNetwork) => tf.Scalar) => {
    const vars = variables.map((v) => v.read() as tf.Variable);
    const result = tf.tidy(() => tf.variableGrads(() => objective(apply), vars));
    const gradients = new Map<string, Float32Array>();
    for (const v of variables) {
      const g = result.grads[(v.read() as tf.Variable).name];
      gradients.set(v.name, g ? Float32Array.from(g.dataSync() as Float32Array) : new Float32Array(sampleSize(v.shape as number[])));
    }
    const value = result.value.dataSync()[0];
    tf.dispose([result.value, ...Object.values(result.grads)]);
    return { value, gradients };
  };
  return {
    kind: 'tfjs',
    sampleShape,
    numClasses,
    weights,
    layersModel: model,
    apply,
    objectiveGradients,
    async inputGradient(x, labels, count, loss = 'cross-entropy', w) {
      if (x.length !== count * perSample) throw new Error(`TfjsEngine.inputGradient: expected ${count * perSample} values, got ${x.length}`);
      const out = tf.tidy(() => {
        const xs = toTensor(x, count);
        const y = tf.tensor1d(Int32Array.from(labels), 'int32');
        const weight = w ? tf.tensor1d(w) : tf.onesLike(tf.cast(y, 'float32'));
        let logits: Tensor2D | undefined;
        let perSampleLoss: Tensor | undefined;
        const g = tf.grad((input: Tensor) => {
          logits = apply(input);
          perSampleLoss = loss === 'cw-margin' ? cwMargin(logits, y) : crossEntropy(logits, y);
          return tf.sum(tf.mul(perSampleLoss, weight)) as tf.Scalar;
        })(xs);
        const z = apply(xs);
        return { g, z, l: crossEntropy(z, y) };
      });
      const result = { gradient: out.g.dataSync() as Float32Array, logits: out.z.dataSync() as Float32Array, loss: out.l.dataSync() as Float32Array };
      tf.dispose([out.g, out.z, out.l]);
      return result;
    },
    async weightGradients(x, labels, w, count): Promise<WeightGradientResult> {
      let logits = new Float32Array(0) as Float32Array<ArrayBufferLike>;
      let loss = new Float32Array(0) as Float32Array<ArrayBufferLike>;
      const { gradients } = objectiveGradients((net) => {
        const z = net(toTensor(x, count), true);
        const l = crossEntropy(z, tf.tensor1d(Int32Array.from(labels), 'int32'));
        logits = z.dataSync() as Float32Array;
        loss = l.dataSync() as Float32Array;
        return tf.sum(tf.mul(l, tf.tensor1d(w))) as tf.Scalar;
      });
      return { gradients, logits, loss };
    },
    async logits(x, count) {
      const z = tf.tidy(() => apply(toTensor(x, count)));
      const values = z.dataSync() as Float32Array;
      z.dispose();
      return values;
    },
    weightsChanged() {
      for (const v of variables) {
        const t = tf.tensor(weights.get(v.name)!, v.shape as number[]);
        v.write(t);
        t.dispose();
      }
    },
    commit() {
      this.weightsChanged();
    },
    async release() {},
  };
}
