/**
 * Query-only model adapter: wraps any async function `(batch, shape) => scores | labels` (an HTTP endpoint, a
 * subprocess, a model behind a non-differentiable preprocessing step) as a Rampart `Model`, so score- and
 * decision-based attacks (Square, SimBA, ...) and `withEstimatedGradients` can run on it.
 *
 * - `output: 'scores'`: the function returns Float32Array of N × numClasses scores (logits or probabilities);
 *   `logits` returns them as given.
 * - `output: 'labels'`: the function returns Int32Array of N labels; `logits` returns one-hot scores and the
 *   model's `decisionsOnly` flag is true (only decision-based attacks are meaningful on it).
 *
 * The batch is NHWC float32 within `bounds`, flattened row-major; `shape` is [N, ...inputShape].
 *
 * @example
 * const model = queryModel(async (batch, shape) => callEndpoint(batch, shape), { inputShape: [28, 28, 1], numClasses: 10, bounds: [0, 1], output: 'scores' });
 * await attackBatch({ model, attack: 'square', x, labels, threat: { norm: 'linf', epsilon: 0.3 } });
 */
import { tf, type Tensor, type Tensor2D } from './tf.js';
import type { Bounds, Model, ModelFormat } from './model.js';
import { RampartError } from '../errors.js';

export type QueryFunction = (batch: Float32Array, shape: number[]) => Promise<Float32Array | Int32Array>;

export interface QueryModelOptions {
  inputShape: readonly number[];
  numClasses: number;
  bounds?: Bounds;
  output: 'scores' | 'labels';
  /** Identifier in results; default `query:<output>`. */
  id?: string;
  /** Format reported in results (default 'onnx'; the format union has no separate value for endpoints). */
  format?: ModelFormat;
}

export interface QueryModel extends Model {
  /** True when the function returns labels only: `logits` are one-hot and carry no score information. */
  readonly decisionsOnly: boolean;
  /** Calls made to the wrapped function and samples sent through it. */
  readonly calls: { calls: number; samples: number };
}

/** Wraps an async scoring/labelling function as a black-box Model. */
export function queryModel(fn: QueryFunction, options: QueryModelOptions): QueryModel {
  const { inputShape, numClasses, output } = options;
  const bounds: Bounds = options.bounds ?? [0, 1];
  const problems: string[] = [];
  if (typeof fn !== 'function') problems.push('the first argument must be an async function (batch, shape) => scores | labels');
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) problems.push('inputShape must be a non-empty list of positive integers, e.g. [28, 28, 1]');
  if (!Number.isInteger(numClasses) || numClasses < 2) problems.push('numClasses must be an integer ≥ 2');
  if (output !== 'scores' && output !== 'labels') problems.push("output must be 'scores' or 'labels'");
  if (!(bounds[0] < bounds[1])) problems.push('bounds must be [min, max] with min < max');
  if (problems.length > 0) throw new RampartError('BAD_OPTION', `queryModel: ${problems.join('; ')}.`, { problems });
  const size = inputShape.reduce((a, b) => a * b, 1);
  const id = options.id ?? `query:${output}`;
  const calls = { calls: 0, samples: 0 };
  let disposed = false;
  return {
    id,
    format: options.format ?? 'onnx',
    inputShape: [...inputShape],
    numClasses,
    bounds,
    decisionsOnly: output === 'labels',
    calls,
    async logits(x: Tensor): Promise<Tensor2D> {
      if (disposed) throw new RampartError('BAD_OPTION', `${id} was disposed; wrap the function again.`);
      const n = x.shape[0];
      const sample = x.shape.slice(1);
      if (sample.length !== inputShape.length || sample.some((d, i) => d !== inputShape[i])) {
        throw new RampartError('DATA_SHAPE_MISMATCH', `${id} expects samples of shape [${inputShape.join(', ')}], got [${sample.join(', ')}]; reshape the data or fix inputShape.`, { expected: inputShape, actual: sample });
      }
      const values = new Float32Array((await x.data()) as Float32Array);
      calls.calls++;
      calls.samples += n;
      const out = await fn(values, [n, ...inputShape]);
      void size;
      if (output === 'scores') {
        if (!(out instanceof Float32Array) || out.length !== n * numClasses) {
          throw new RampartError('BAD_OPTION', `${id}: the query function must return a Float32Array of ${n}×${numClasses} scores, got ${out?.constructor?.name ?? typeof out} of length ${(out as ArrayLike<number>)?.length}.`);
        }
        return tf.tensor2d(out, [n, numClasses]);
      }
      if (!(out instanceof Int32Array) || out.length !== n) {
        throw new RampartError('BAD_OPTION', `${id}: a labels query function must return an Int32Array of ${n} labels, got ${out?.constructor?.name ?? typeof out} of length ${(out as ArrayLike<number>)?.length}.`);
      }
      const oneHot = new Float32Array(n * numClasses);
      for (let i = 0; i < n; i++) {
        const label = out[i];
        if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new RampartError('BAD_OPTION', `${id}: label ${label} of sample ${i} is not a class 0..${numClasses - 1}.`);
        oneHot[i * numClasses + label] = 1;
      }
      return tf.tensor2d(oneHot, [n, numClasses]);
    },
    dispose() {
      disposed = true;
    },
  };
}

/** A black-box view of any model: only `logits` (no gradients, no sync methods), e.g. to force score-only attacks. */
export function scoresOnly(model: Model): Model {
  return {
    id: model.id,
    format: model.format,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    bounds: model.bounds,
    logits: (x) => model.logits(x),
    dispose: () => model.dispose(),
  };
}
