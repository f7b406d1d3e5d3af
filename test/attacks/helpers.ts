/** Small in-memory datasets and models for harness tests. */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Batch, Dataset } from '../../src/data/dataset.js';
import { TfjsModel } from '../../src/engine/tfjs-model.js';
import type { Model } from '../../src/engine/model.js';
import { tf, type Tensor, type Tensor2D } from '../../src/engine/tf.js';
import type { Random } from '../../src/engine/random.js';

/** A dataset over arrays already in memory. */
export function arrayDataset(x: Float32Array, y: Int32Array, sampleShape: readonly number[], numClasses: number, spec = 'memory'): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  return {
    spec,
    count: y.length,
    sampleShape,
    numClasses,
    async *batches(batchSize: number): AsyncIterable<Batch> {
      for (let start = 0; start < y.length; start += batchSize) {
        const count = Math.min(batchSize, y.length - start);
        yield { x: x.slice(start * size, (start + count) * size), y: y.slice(start, start + count), count, start };
      }
    },
  };
}

/** A small seeded ReLU MLP (white-box) over d inputs in [0, 1]. */
export function tinyMlp(d: number, k: number, seed: number, hidden = 8): TfjsModel {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: hidden, activation: 'relu', inputShape: [d], kernelInitializer: tfl.initializers.glorotNormal({ seed }) }));
  model.add(tfl.layers.dense({ units: k, kernelInitializer: tfl.initializers.glorotNormal({ seed: seed + 1 }) }));
  return TfjsModel.fromLayersModel(model, { id: `tiny-mlp-${seed}`, bounds: [0, 1] });
}

/** The same model seen as a black box (logits only, no gradients). */
export function blackBox(model: Model): Model {
  return { id: `${model.id} (black box)`, format: model.format, inputShape: model.inputShape, numClasses: model.numClasses, bounds: model.bounds, logits: (x) => model.logits(x), dispose: () => undefined };
}

/** A model whose logits are computed by a function of the (flattened) samples. */
export function functionModel(d: number, k: number, logitsOf: (row: Float32Array) => number[], id = 'function-model'): Model & { calls: number } {
  const model = {
    id,
    format: 'tfjs-layers' as const,
    inputShape: [d],
    numClasses: k,
    bounds: [0, 1] as const,
    calls: 0,
    async logits(x: Tensor): Promise<Tensor2D> {
      model.calls++;
      const values = (await x.data()) as Float32Array;
      const n = x.shape[0];
      const out = new Float32Array(n * k);
      for (let i = 0; i < n; i++) out.set(logitsOf(values.subarray(i * d, (i + 1) * d)), i * k);
      return tf.tensor2d(out, [n, k]);
    },
    dispose: () => undefined,
  };
  return model;
}

/** Uniform samples in [0, 1]^d labelled by a model's own prediction (so the model starts 100% accurate). */
export async function selfLabelled(model: Model, n: number, random: Random): Promise<{ x: Float32Array; y: Int32Array }> {
  const d = model.inputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n * d }, () => random.next());
  const t = tf.tensor(x, [n, ...model.inputShape]);
  const logits = await model.logits(t);
  const y = Int32Array.from(tf.tidy(() => tf.argMax(logits, 1).dataSync()));
  tf.dispose([t, logits]);
  return { x, y };
}
