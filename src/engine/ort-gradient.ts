/**
 * Gradients through ONNX Runtime: runs the backward graphs of `onnx-grad/` in onnxruntime-node.
 *
 * - `createOrtGradientSession(graph)`: one InferenceSession over a generated backward graph; `run` takes host
 *   Float32Arrays (model layout) and returns logits, per-sample losses, the input gradient and weight gradients.
 *   Fixed-batch graphs (ACAS Xu's batch of 1) run chunk by chunk with zero-weight padding rows.
 * - `createOrtGradient(...)`: the `lossAndGradient` of a Rampart model (NHWC tfjs tensors in and out), one lazily
 *   built session per loss; `OnnxModel.lossAndGradient` uses it when every op on the path has a backward rule.
 * - `createOrtGradientForLayersModel(model)`: the same fast path for a TF.js LayersModel (exported with
 *   `exportToOnnx`, whose graph takes NHWC input directly). The returned weights are a snapshot: call it again
 *   after training the LayersModel.
 *
 * Losses are per sample; the gradient is d(Σᵢ wᵢ·Lᵢ)/dx with w = 1 unless `weights` are given (e.g. −1 for a
 * targeted step taken on the target labels).
 *
 * @example
 * const grad = await createOrtGradientForLayersModel(model);
 * const { loss, gradient, logits } = await grad.lossAndGradient(x, labels, 'dlr');
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from './tf.js';
import { RampartError } from '../errors.js';
import { lossNames, type LossName } from './losses.js';
import type { LossAndGradient } from './model.js';
import { parseOnnx, type OnnxGraph } from './onnx/graph.js';
import { exportToOnnx } from './export-onnx.js';
import { backwardNames, buildBackwardGraph, type BackwardGraph, type BackwardGraphOptions } from './onnx-grad/generate.js';
import { probeShapes, type ProbeResult } from './onnx-grad/shapes.js';
import { BackwardUnsupported } from './onnx-grad/registry.js';
import { MAX_ROWS_PER_RUN } from './onnx-grad/rules/nn.js';

export interface OrtSessionOptions {
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
  /** Largest batch per session.run for graphs with a symbolic batch (default 256: bounds the backward graph's
   * intermediate memory — ≈ 22 MB per CNN activation at 256 — without costing throughput; capped at
   * `MAX_ROWS_PER_RUN` = 1024, which keeps the int32 max-pool indices exact). */
  maxChunk?: number;
}

export interface OrtGradientResult {
  /** [count · K] */
  logits: Float32Array;
  /** [count] */
  loss: Float32Array;
  /** [count · sample], model layout; present when the graph outputs it. */
  inputGradient?: Float32Array;
  /** Σ over the batch of d(wᵢ·Lᵢ)/dW per trainable weight. */
  parameterGradients: Map<string, Float32Array>;
}

export interface OrtGradientSession {
  readonly graph: BackwardGraph;
  /**
   * Runs forward, loss and backward for `count` samples. `oneHot` is [count · K], `weight` [count];
   * `parameters` feeds every trainable weight (default: the values in the source model).
   */
  run(
    x: Float32Array,
    count: number,
    oneHot: Float32Array,
    weight: Float32Array,
    parameters?: ReadonlyMap<string, Float32Array>,
    /** [count · K] one-hot targets, for graphs with `needsTargets`. */
    targetOneHot?: Float32Array,
  ): Promise<OrtGradientResult>;
  release(): Promise<void>;
}

export async function createOrtGradientSession(graph: BackwardGraph, options: OrtSessionOptions = {}): Promise<OrtGradientSession> {
  const ort = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(graph.bytes, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Graphs that take their weights as inputs (training) gain nothing from ONNX Runtime's level-3 NCHWc
      // layout pass (it needs constant weights to convert a Conv) except Reorder nodes around the pools: ≈ 10%
      // of a CNN train step. Inference-weight graphs keep it (their convs run in NCHWc).
      graphOptimizationLevel: graph.parameters.length > 0 ? 'extended' : 'all',
    });
  } catch (e) {
    throw new RampartError('BACKEND', `ONNX Runtime rejected the generated backward graph: ${(e as Error).message}. Use the tfjs path (lossAndGradientSync).`, {});
  }
  const perSample = graph.sampleDims.reduce((a, b) => a * b, 1);
  const k = graph.numClasses;
  // Generated graphs may use int32 flat indices (tiling max pools): at most MAX_ROWS_PER_RUN rows per run.
  const chunk = graph.fixedBatch ?? Math.min(options.maxChunk ?? 256, MAX_ROWS_PER_RUN);
  let released = false;
  const outputNames = [
    backwardNames.logits,
    backwardNames.loss,
    ...(graph.inputGradient ? [graph.inputGradient] : []),
    ...graph.parameters.map((p) => p.gradient),
  ];
  return {
    graph,
    async run(x, count, oneHot, weight, parameters, targetOneHot) {
      if (released) throw new RampartError('BAD_OPTION', 'OrtGradientSession: the session was released.');
      if (x.length !== count * perSample || oneHot.length !== count * k || weight.length !== count) {
        throw new RampartError(
          'INTERNAL',
          `OrtGradientSession.run: got ${x.length} input values, ${oneHot.length} one-hot values and ${weight.length} weights for ${count} samples of ${perSample} values and ${k} classes.`,
        );
      }
      if (graph.needsTargets && targetOneHot?.length !== count * k) {
        throw new RampartError('BAD_OPTION', `OrtGradientSession.run: the ${graph.loss} graph needs ${count * k} one-hot target values.`);
      }
      const weightFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const p of graph.parameters) {
        const values = parameters?.get(p.name) ?? p.initial;
        if (values.length !== p.initial.length) {
          throw new RampartError('BAD_OPTION', `OrtGradientSession.run: weight "${p.name}" has ${values.length} values, expected ${p.initial.length}.`);
        }
        weightFeeds[p.name] = new ort.Tensor('float32', values, p.dims);
      }
      const logits = new Float32Array(count * k);
      const loss = new Float32Array(count);
      const inputGradient = graph.inputGradient ? new Float32Array(count * perSample) : undefined;
      const parameterGradients = new Map<string, Float32Array>();
      for (let start = 0; start < count; start += chunk) {
        const n = Math.min(chunk, count - start);
        const rows = graph.fixedBatch ?? n;
        const pick = (data: Float32Array, width: number): Float32Array => {
          const view = data.subarray(start * width, (start + n) * width);
          if (rows === n) return view;
          const padded = new Float32Array(rows * width);
          padded.set(view);
          return padded;
        };
        const feeds = {
          ...weightFeeds,
          [graph.inputName]: new ort.Tensor('float32', pick(x, perSample), [rows, ...graph.sampleDims]),
          [backwardNames.oneHot]: new ort.Tensor('float32', pick(oneHot, k), [rows, k]),
          [backwardNames.weight]: new ort.Tensor('float32', pick(weight, 1), [rows]),
          ...(graph.needsTargets ? { [backwardNames.targetOneHot]: new ort.Tensor('float32', pick(targetOneHot!, k), [rows, k]) } : {}),
        };
        const out = await session.run(feeds, outputNames);
        logits.set((out[backwardNames.logits].data as Float32Array).subarray(0, n * k), start * k);
        loss.set((out[backwardNames.loss].data as Float32Array).subarray(0, n), start);
        if (inputGradient) inputGradient.set((out[graph.inputGradient!].data as Float32Array).subarray(0, n * perSample), start * perSample);
        for (const p of graph.parameters) {
          const g = out[p.gradient].data as Float32Array;
          const sum = parameterGradients.get(p.name);
          if (!sum) parameterGradients.set(p.name, start + n >= count ? g : Float32Array.from(g));
          else for (let i = 0; i < g.length; i++) sum[i] += g[i];
        }
        for (const t of Object.values(out)) t.dispose?.();
      }
      return { logits, loss, inputGradient, parameterGradients };
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

/** How Rampart's NHWC / [N, F] samples map onto the ONNX model's input. */
export type OrtInputLayout = 'nchw' | 'nhwc' | 'vector' | 'plain';

export interface OrtGradientOptions extends OrtSessionOptions {
  /** Layout mapping (default 'plain': fed as given). */
  layout?: OrtInputLayout;
  /** Names the model in messages. */
  source?: string;
}

export interface OrtGradient {
  /**
   * Per-sample loss, input gradient (Rampart layout) and logits, as `DifferentiableModel.lossAndGradient`
   * (`targets` for dlr-targeted); `weights` scale each sample's gradient (default 1).
   */
  lossAndGradient(x: Tensor, labels: Tensor1D, loss?: LossName, targets?: Tensor1D, weights?: Tensor1D | Float32Array): Promise<LossAndGradient>;
  /** The backward graph of a loss (built on first use). */
  backwardGraph(loss?: LossName): Promise<BackwardGraph>;
  release(): Promise<void>;
}

/** One-hot rows for integer labels, checked against the class count. */
export function oneHotRows(labels: ArrayLike<number>, classes: number, where: string): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RampartError('LABEL_OUT_OF_RANGE', `${where}: label ${label} at position ${i} is outside 0..${classes - 1}. Check the dataset's labels against the model's classes.`, { label, index: i });
    }
    out[i * classes + label] = 1;
  }
  return out;
}

/**
 * An ORT-backed `lossAndGradient` for an ONNX model. Checks up front that the cross-entropy backward graph can
 * be built (throws {@link BackwardUnsupported} with every reason otherwise); other losses are built lazily.
 */
export async function createOrtGradient(bytes: Uint8Array, options: OrtGradientOptions = {}, parsed?: OnnxGraph): Promise<OrtGradient> {
  const source = options.source ?? 'ONNX model';
  const graph = parsed ?? parseOnnx(bytes, source);
  const layout = options.layout ?? 'plain';
  let probe: ProbeResult | undefined;
  const build = (loss: LossName): BackwardGraph => {
    const opts: BackwardGraphOptions = { loss, probe };
    const result = buildBackwardGraph({ bytes, graph }, opts);
    return result;
  };
  // Probe once (the slow part) and build the default graph now so unsupported models fail here.
  try {
    probe = probeShapes(graph);
  } catch {
    const batch = graph.inputs[0]?.dims?.[0];
    if (typeof batch === 'number') {
      try {
        probe = probeShapes(graph, [batch, batch]);
      } catch (e) {
        throw new BackwardUnsupported(`${source}: cannot trace the graph (${(e as Error).message}).`, [(e as Error).message]);
      }
    } else throw new BackwardUnsupported(`${source}: cannot trace the graph.`, ['the tfjs import failed']);
  }
  const sessions = new Map<LossName, Promise<OrtGradientSession>>();
  sessions.set('cross-entropy', Promise.resolve(await createOrtGradientSession(build('cross-entropy'), options)));
  let released = false;
  const sessionFor = (loss: LossName): Promise<OrtGradientSession> => {
    if (released) throw new RampartError('BAD_OPTION', `${source}: the gradient engine was released.`);
    if (!lossNames.includes(loss)) throw new RampartError('BAD_OPTION', `Unknown loss "${loss}"; use one of ${lossNames.join(', ')}.`);
    let session = sessions.get(loss);
    if (!session) {
      session = (async () => createOrtGradientSession(build(loss), options))();
      sessions.set(loss, session);
    }
    return session;
  };

  return {
    async backwardGraph(loss = 'cross-entropy') {
      return (await sessionFor(loss)).graph;
    },
    async lossAndGradient(x, labels, loss = 'cross-entropy', targets, weights) {
      const session = await sessionFor(loss);
      const g = session.graph;
      const count = x.shape[0];
      if (labels.shape[0] !== count) {
        throw new RampartError('DATA_SHAPE_MISMATCH', `lossAndGradient: ${count} inputs but ${labels.shape[0]} labels.`);
      }
      const arranged = tf.tidy(() => {
        const f = tf.cast(x, 'float32');
        if (layout === 'nchw') return tf.transpose(f, [0, 3, 1, 2]);
        return f;
      });
      const samples = (await arranged.data()) as Float32Array;
      arranged.dispose();
      const oneHot = oneHotRows((await labels.data()) as ArrayLike<number>, g.numClasses, 'lossAndGradient');
      let targetOneHot: Float32Array | undefined;
      if (g.needsTargets) {
        if (!targets || targets.shape[0] !== count) {
          throw new RampartError('BAD_OPTION', `lossAndGradient: the ${loss} loss needs one target label per input (got ${targets ? targets.shape[0] : 'none'} for ${count} inputs).`);
        }
        targetOneHot = oneHotRows((await targets.data()) as ArrayLike<number>, g.numClasses, 'lossAndGradient (targets)');
      }
      let weight: Float32Array;
      if (weights === undefined) weight = new Float32Array(count).fill(1);
      else weight = weights instanceof Float32Array ? weights : ((await weights.data()) as Float32Array);
      if (weight.length !== count) throw new RampartError('DATA_SHAPE_MISMATCH', `lossAndGradient: ${count} inputs but ${weight.length} weights.`);
      const result = await session.run(samples, count, oneHot, weight, undefined, targetOneHot);
      return tf.tidy(() => {
        let gradient: Tensor;
        if (layout === 'nchw') {
          const [c, h, w] = g.sampleDims;
          gradient = tf.transpose(tf.tensor4d(result.inputGradient!, [count, c, h, w]), [0, 2, 3, 1]);
        } else {
          gradient = tf.tensor(result.inputGradient!, x.shape);
        }
        return {
          loss: tf.tensor1d(result.loss) as Tensor1D,
          gradient,
          logits: tf.tensor2d(result.logits, [count, g.numClasses]) as Tensor2D,
        };
      });
    },
    async release() {
      if (released) return;
      released = true;
      const all = [...sessions.values()];
      sessions.clear();
      for (const s of all) {
        try {
          await (await s).release();
        } catch {
          // a session that failed to build has nothing to release
        }
      }
    },
  };
}

/** The ORT fast path for a TF.js LayersModel whose output is logits (exported with `exportToOnnx`, NHWC input). */
export async function createOrtGradientForLayersModel(model: LayersModel, options: OrtSessionOptions = {}): Promise<OrtGradient> {
  const bytes = exportToOnnx(model);
  return createOrtGradient(bytes, { ...options, layout: 'plain', source: `TF.js model ${model.name}` });
}
