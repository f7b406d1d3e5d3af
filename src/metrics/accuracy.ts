/**
 * Clean accuracy of a model on a dataset: overall and per-class accuracy, confusion matrix, throughput.
 * Streams the data in batches, so memory stays flat whatever the dataset's size.
 */
import { tf, type Tensor2D } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import type { Dataset } from '../data/dataset.js';
import { RampartError } from '../errors.js';

export interface AccuracyMetrics {
  accuracy: number;
  /** Accuracy per true class; null for classes with no samples. */
  perClassAccuracy: (number | null)[];
  /** confusionMatrix[trueClass][predictedClass] = count. */
  confusionMatrix: number[][];
  count: number;
}

export interface EvaluateOptions {
  batchSize?: number;
  /** Called after each batch with the number of samples done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Index of the largest value in each row of a row-major [rows, cols] array. */
export function argmaxRows(values: Float32Array | Int32Array, rows: number, cols: number): Int32Array {
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = values[r * cols];
    for (let c = 1; c < cols; c++) {
      const v = values[r * cols + c];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    result[r] = best;
  }
  return result;
}

/** Checks that dataset labels fit the model's classes and sample shapes fit its input. */
export function checkDataFitsModel(model: Model, data: Dataset): void {
  const expected = model.inputShape;
  const actual = data.sampleShape;
  const fits =
    actual.length === expected.length && actual.every((d, i) => expected[i] == null || expected[i] < 0 || expected[i] === d);
  if (!fits) {
    throw new RampartError(
      'DATA_SHAPE_MISMATCH',
      `Data ${data.spec} has samples of shape [${actual.join(', ')}] but model ${model.id} expects [${expected.join(', ')}]. Use data of the model's input size (Rampart feeds images as NHWC; for ONNX models, --layout overrides layout detection).`,
      { expected, actual },
    );
  }
}

export function accuracyFromPredictions(predicted: Int32Array, labels: Int32Array, numClasses: number): AccuracyMetrics {
  const confusionMatrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusionMatrix[labels[i]][predicted[i]]++;
    if (labels[i] === predicted[i]) correct++;
  }
  const perClassAccuracy = confusionMatrix.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[c] / total;
  });
  return { accuracy: labels.length ? correct / labels.length : 0, perClassAccuracy, confusionMatrix, count: labels.length };
}

/** Predicted classes for every sample of the dataset, in order. */
export async function predictClasses(model: Model, data: Dataset, options: EvaluateOptions = {}): Promise<{ predicted: Int32Array; labels: Int32Array }> {
  checkDataFitsModel(model, data);
  const batchSize = options.batchSize ?? 256;
  const predicted = new Int32Array(data.count);
  const labels = new Int32Array(data.count);
  let done = 0;
  for await (const batch of data.batches(batchSize)) {
    for (let i = 0; i < batch.count; i++) {
      const label = batch.y[i];
      if (label < 0 || label >= model.numClasses) {
        throw new RampartError(
          'LABEL_OUT_OF_RANGE',
          `Sample ${batch.start + i} of ${data.spec} has label ${label}, but model ${model.id} has ${model.numClasses} classes (0..${model.numClasses - 1}). Check that the data and the model belong together.`,
          { sample: batch.start + i, label },
        );
      }
    }
    const x = tf.tensor(batch.x, [batch.count, ...data.sampleShape], 'float32');
    let logits: Tensor2D | undefined;
    try {
      logits = await model.logits(x);
      const values = (await logits.data()) as Float32Array;
      predicted.set(argmaxRows(values, batch.count, logits.shape[1]), batch.start);
    } finally {
      x.dispose();
      logits?.dispose();
    }
    labels.set(batch.y, batch.start);
    done += batch.count;
    options.onProgress?.(done, data.count);
  }
  return { predicted, labels };
}

export async function evaluateAccuracy(model: Model, data: Dataset, options: EvaluateOptions = {}): Promise<AccuracyMetrics> {
  const { predicted, labels } = await predictClasses(model, data, options);
  return accuracyFromPredictions(predicted, labels, model.numClasses);
}
