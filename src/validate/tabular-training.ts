/**
 * Trains the reference MLP on tabular data ([F] samples) through the public `trainClassifier` loop. The MLP
 * architecture starts with a Flatten layer, which tfjs only accepts on rank ≥ 3 inputs, so rows are shown to it as
 * 1×F×1 "images" and the trained Dense layers are then copied into a Dense-only twin that takes [F] rows (same
 * weights, same logits). Images pass straight through to `trainClassifier`.
 *
 * @example
 * const { model } = await trainTabularClassifier(await openDataset('csv:examples/tabular/breast-cancer-train.csv'), { epochs: 15 });
 * model.inputShape; // [30]
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { TfjsModel } from '../engine/tfjs-model.js';
import type { Dataset } from '../data/dataset.js';
import { trainClassifier, type TrainHooks, type TrainOptions, type TrainResult } from '../harden/train.js';

export async function trainTabularClassifier(train: Dataset, options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  if (train.sampleShape.length !== 1) return trainClassifier(train, options, hooks);
  const features = train.sampleShape[0];
  const asImages: Dataset = {
    spec: train.spec,
    count: train.count,
    sampleShape: [1, features, 1],
    numClasses: train.numClasses,
    classNames: train.classNames,
    batches: (batchSize) => train.batches(batchSize),
  };
  const wrap = (d: Dataset | undefined): Dataset | undefined => (d ? { ...asImages, spec: d.spec, count: d.count, numClasses: d.numClasses, batches: (b) => d.batches(b) } : undefined);
  const result = await trainClassifier(asImages, { ...options, arch: 'mlp', shiftPixels: 0 }, { ...hooks, validation: wrap(hooks.validation) });
  const trained = result.model.layersModel as tfl.LayersModel;
  const twin = tfl.sequential({ name: `${trained.name}-tabular` });
  const denseLayers = trained.layers.filter((l) => l.getClassName() === 'Dense');
  denseLayers.forEach((layer, k) => {
    const config = layer.getConfig() as { units: number; activation: string; useBias: boolean };
    twin.add(
      tfl.layers.dense({
        units: config.units,
        activation: config.activation as 'relu' | 'linear',
        useBias: config.useBias,
        ...(k === 0 ? { inputShape: [features] } : {}),
      }),
    );
  });
  twin.layers.forEach((layer, k) => layer.setWeights(denseLayers[k].getWeights()));
  const id = result.model.id;
  result.model.dispose();
  return { ...result, model: TfjsModel.fromLayersModel(twin, { id }) };
}
