/**
 * Checks an exported ONNX file against the TF.js model it came from: both run on the same seeded inputs
 * inside the model's bounds, through onnxruntime-node and tfjs, and must agree within a tolerance.
 */
import * as ort from 'onnxruntime-node';
import { tf } from './tf.js';
import { createRandom } from './random.js';
import type { TfjsModel } from './tfjs-model.js';
import { RampartError } from '../errors.js';

export interface ExportCheck {
  samples: number;
  maxAbsLogitDifference: number;
  tolerance: number;
}

export async function verifyOnnxExport(
  model: TfjsModel,
  onnxBytes: Uint8Array,
  options: { samples?: number; tolerance?: number; seed?: number; inputs?: Float32Array } = {},
): Promise<ExportCheck> {
  const samples = options.samples ?? 16;
  const tolerance = options.tolerance ?? 1e-4;
  const sampleSize = model.inputShape.reduce((a, b) => a * b, 1);
  const [low, high] = model.bounds;
  const random = createRandom(options.seed ?? 0);
  const inputs = options.inputs ?? Float32Array.from({ length: samples * sampleSize }, () => low + (high - low) * random.next());
  const count = inputs.length / sampleSize;
  const session = await ort.InferenceSession.create(onnxBytes);
  try {
    const feed = new ort.Tensor('float32', inputs, [count, ...model.inputShape]);
    const output = await session.run({ [session.inputNames[0]]: feed });
    const onnxLogits = output[session.outputNames[0]].data as Float32Array;
    const x = tf.tensor(inputs, [count, ...model.inputShape]);
    const logits = model.logitsSync(x);
    const tfjsLogits = logits.dataSync() as Float32Array;
    tf.dispose([x, logits]);
    if (onnxLogits.length !== tfjsLogits.length) {
      throw new RampartError('INTERNAL', `The exported ONNX model returns ${onnxLogits.length} values for ${count} samples, TF.js ${tfjsLogits.length}.`, {});
    }
    let maxAbsLogitDifference = 0;
    for (let i = 0; i < tfjsLogits.length; i++) {
      maxAbsLogitDifference = Math.max(maxAbsLogitDifference, Math.abs(tfjsLogits[i] - onnxLogits[i]));
    }
    return { samples: count, maxAbsLogitDifference, tolerance };
  } finally {
    await session.release();
  }
}
