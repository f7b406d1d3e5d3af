/**
 * Base classifiers for randomized smoothing: "which class does the model give each of these noisy inputs?",
 * answered on the host in large batches. Smoothing only needs forward passes and top-1 labels, so any `Model`
 * works (`modelNoiseClassifier`, through its `logits`); the fast path (`ortNoiseClassifier`) feeds an ONNX file
 * to ONNX Runtime straight from host Float32Arrays in the model's own layout, so no tfjs tensor is made per batch
 * and noise is drawn directly in that layout (Gaussian noise is i.i.d., so only the clean sample is transposed).
 *
 * `smoothingClassifierFor(model, { onnx })` picks the fast path when an ONNX file is at hand (an `.onnx` model, or
 * the `model.onnx` exported beside a TF.js model) after checking on a few inputs that it agrees with the model.
 *
 * @example
 * const base = await smoothingClassifierFor(model, { onnx: 'models/mnist-cnn/model.onnx' });
 * base.engine; // 'onnxruntime'
 * const labels = await base.classify(noisyBatch, 1000); // Int32Array(1000), model layout
 */
import fs from 'node:fs/promises';
import { tf } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import { createRandom } from '../engine/random.js';
import { loadOnnxModel, createOrtRunner } from '../engine/onnx/index.js';
import { RampartError } from '../errors.js';

export interface NoiseClassifier {
  /** 'onnxruntime' for the host fast path, otherwise the model's format it runs through. */
  readonly engine: string;
  /** One sample as Rampart lays it out (NHWC for images). */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** One Rampart-layout sample → the layout `classify` takes (a copy). */
  toClassifierLayout(sample: Float32Array): Float32Array;
  /** Top-1 class of each of `count` samples (classifier layout, row-major). */
  classify(samples: Float32Array, count: number): Promise<Int32Array>;
  /** Logits of `count` samples (classifier layout), row-major [count, numClasses]. */
  logits(samples: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
}

function argMaxRows(values: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let bestValue = values[i * classes];
    for (let k = 1; k < classes; k++) {
      const v = values[i * classes + k];
      if (v > bestValue || Number.isNaN(bestValue)) {
        best = k;
        bestValue = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Any model through its own `logits` (tfjs tensors per batch). */
export function modelNoiseClassifier(model: Model): NoiseClassifier {
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const logits = async (samples: Float32Array, count: number): Promise<Float32Array> => {
    const x = tf.tensor(samples.subarray(0, count * size), [count, ...model.inputShape]);
    try {
      const output = await model.logits(x);
      const values = (await output.data()) as Float32Array;
      output.dispose();
      return values;
    } finally {
      x.dispose();
    }
  };
  return {
    engine: model.format,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    toClassifierLayout: (sample) => Float32Array.from(sample),
    logits,
    classify: async (samples, count) => argMaxRows(await logits(samples, count), count, model.numClasses),
    dispose: () => undefined,
  };
}

export interface OrtNoiseClassifierOptions {
  layout?: 'auto' | 'nchw' | 'nhwc';
  /** ONNX Runtime intra-op threads (default 1, the machine is shared). */
  threads?: number;
  /** Largest batch per session.run (default 1000). */
  maxChunk?: number;
  /** Names the model in messages. */
  id?: string;
}

/** The fast path: an ONNX model run by ONNX Runtime on host arrays in its own layout. */
export async function ortNoiseClassifier(onnx: string | Uint8Array, options: OrtNoiseClassifierOptions = {}): Promise<NoiseClassifier> {
  const bytes = typeof onnx === 'string' ? await fs.readFile(onnx) : onnx;
  const source = options.id ?? (typeof onnx === 'string' ? onnx : 'ONNX model bytes');
  // The ONNX adapter decides the layout and sample dims; its own session is released straight away.
  const probe = await loadOnnxModel(bytes, { forwardOnly: true, layout: options.layout ?? 'auto', id: source });
  const { layout, modelSampleDims, inputShape, numClasses, graph } = probe;
  probe.dispose();
  const batchDim = graph.inputs[0].dims?.[0];
  const runner = await createOrtRunner(bytes, {
    inputName: graph.inputs[0].name,
    outputName: graph.outputs[0].name,
    sampleDims: modelSampleDims,
    fixedBatch: typeof batchDim === 'number' ? batchDim : undefined,
    threads: options.threads ?? 1,
    maxChunk: options.maxChunk ?? 1000,
    source,
  });
  const [h, w, c] = inputShape;
  const perSample = modelSampleDims.reduce((a, b) => a * b, 1);
  const logits = async (samples: Float32Array, count: number): Promise<Float32Array> =>
    (await runner.run(samples.subarray(0, count * perSample), count)).values;
  return {
    engine: 'onnxruntime',
    inputShape,
    numClasses,
    toClassifierLayout(sample) {
      if (layout !== 'nchw' || c === 1) return Float32Array.from(sample);
      const out = new Float32Array(sample.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = sample[(y * w + x) * c + k];
      return out;
    },
    logits,
    classify: async (samples, count) => argMaxRows(await logits(samples, count), count, numClasses),
    dispose: () => void runner.release(),
  };
}

export interface SmoothingClassifierOptions extends OrtNoiseClassifierOptions {
  /** An ONNX file (or its bytes) computing the same function as `model`: enables the ONNX Runtime fast path. */
  onnx?: string | Uint8Array;
  /** Largest |logit difference| on the agreement check, relative to the largest |logit| (default 1e-4). */
  tolerance?: number;
}

/** What `smoothingClassifierFor` chose and why. */
export interface SmoothingClassifierChoice {
  classifier: NoiseClassifier;
  /** Why the model path was used instead of ONNX Runtime, when it was. */
  fallbackReason?: string;
}

/**
 * The fast ONNX Runtime classifier when `onnx` is given and agrees with `model` (the same logits, within
 * `tolerance`, on 16 seeded random inputs inside the bounds), otherwise the model's own path.
 */
export async function smoothingClassifierFor(model: Model, options: SmoothingClassifierOptions = {}): Promise<SmoothingClassifierChoice> {
  if (!options.onnx) return { classifier: modelNoiseClassifier(model), fallbackReason: 'no ONNX file for this model' };
  let fast: NoiseClassifier;
  try {
    fast = await ortNoiseClassifier(options.onnx, { ...options, id: options.id ?? `${model.id} (ONNX Runtime)` });
  } catch (e) {
    if (!(e instanceof RampartError)) throw e;
    return { classifier: modelNoiseClassifier(model), fallbackReason: e.message };
  }
  const sameShape = fast.inputShape.length === model.inputShape.length && fast.inputShape.every((d, i) => d === model.inputShape[i]);
  if (!sameShape || fast.numClasses !== model.numClasses) {
    fast.dispose();
    return { classifier: modelNoiseClassifier(model), fallbackReason: `the ONNX file takes [${fast.inputShape.join(', ')}] → ${fast.numClasses} classes, the model [${model.inputShape.join(', ')}] → ${model.numClasses}` };
  }
  // Agreement check on random inputs in the bounds: the ONNX file must compute the model's function.
  const size = model.inputShape.reduce((a, b) => a * b, 1);
  const count = 16;
  const random = createRandom(12345);
  const [lo, hi] = model.bounds;
  const host = new Float32Array(count * size).map(() => lo + (hi - lo) * random.next());
  const x = tf.tensor(host, [count, ...model.inputShape]);
  const reference = await model.logits(x);
  const referenceValues = (await reference.data()) as Float32Array;
  tf.dispose([x, reference]);
  const arranged = new Float32Array(count * size);
  for (let i = 0; i < count; i++) arranged.set(fast.toClassifierLayout(host.subarray(i * size, (i + 1) * size)), i * size);
  const fastValues = await fast.logits(arranged, count);
  const scale = referenceValues.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  const tolerance = options.tolerance ?? 1e-4;
  const difference = fastValues.reduce((m, v, i) => Math.max(m, Math.abs(v - referenceValues[i])), 0);
  if (!(difference <= tolerance * scale)) {
    fast.dispose();
    return { classifier: modelNoiseClassifier(model), fallbackReason: `the ONNX file disagrees with the model on random inputs (max |logit difference| ${difference.toPrecision(3)})` };
  }
  return { classifier: fast };
}
