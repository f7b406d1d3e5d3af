/**
 * Penultimate features as a differentiable function of the input: the input of the last Dense layer of a TF.js
 * LayersModel (a sub-model sharing the original's weights, applied with `apply` so tf.grad can see through it), or
 * the data input of the last Gemm/MatMul of an imported ONNX graph (the graph re-imported into tfjs ops up to
 * that value, as `penultimateFeatures` in metrics/ood.ts does it). The binarization test and the sensitivity
 * analysis read a model through it.
 *
 * @example
 * const features = featureExtractor(await loadModel('builtin:mnist-cnn'));
 * features.extract(x).shape; // [N, 128]: the input of Dense layer dense_Dense2
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import { penultimateFeatures } from '../metrics/ood.js';
import { RampartError } from '../errors.js';

export interface FeatureFunction {
  /** Features [N, D] of a batch; synchronous and differentiable (usable inside tf.grad). Caller owns the result. */
  extract(x: Tensor): Tensor2D;
  /** Which layer the features come from, for the report. */
  layer: string;
  dispose(): void;
}

/** The model's penultimate features, or a RampartError (MODEL_UNSUPPORTED) saying why there are none. */
export function featureExtractor(model: Model): FeatureFunction {
  const layersModel = (model as Partial<{ layersModel: tfl.LayersModel }>).layersModel;
  if (layersModel) {
    const dense = [...layersModel.layers].reverse().find((l) => l.getClassName() === 'Dense');
    if (!dense) throw unsupported(model, 'it has no Dense layer');
    const sub = tfl.model({ inputs: layersModel.inputs, outputs: dense.input as tfl.SymbolicTensor });
    return {
      layer: `the input of Dense layer ${dense.name}`,
      extract: (x) =>
        tf.tidy(() => {
          const out = sub.apply(x, { training: false }) as Tensor;
          return (out.rank === 2 ? out : tf.reshape(out, [out.shape[0], -1])) as Tensor2D;
        }),
      // The sub-model shares the original's weights: nothing of its own to release.
      dispose: () => undefined,
    };
  }
  const found = penultimateFeatures(model);
  if ('unsupported' in found) throw unsupported(model, found.unsupported);
  return found;
}

function unsupported(model: Model, why: string): RampartError {
  return new RampartError(
    'MODEL_UNSUPPORTED',
    `Penultimate features of model ${model.id} are not available: ${why}. Use a TF.js LayersModel with a final Dense layer or an ONNX model whose last node is a Gemm/MatMul.`,
    { model: model.id },
  );
}
