/**
 * IBP certified training on ONNX Runtime (Gowal et al. 2018, https://arxiv.org/abs/1810.12715): the objective
 * κ·CE(z(x), y) + (1−κ)·CE(−m, y) of `objective.ts`, with m the interval-bound margin lower bounds, computed by two
 * generated backward graphs run in ONNX Runtime instead of tfjs autodiff: the ORT training engine's own graph for
 * the clean term and the backward graph of the IBP graph (`certify/ibp-onnx-graph.ts`) for the robust term. Both
 * read the engine's weight arrays, so the optimizer updates one set of weights. On a 784-1024-1024-10 MLP this runs
 * several times faster than the tfjs path (docs/harden.md). With `crownIbp` (MLPs: Gemm/ReLU chains) a second graph
 * mixes in the CROWN-IBP bound (Zhang et al. 2020, https://arxiv.org/abs/1906.06316) while β > 0; CNNs train
 * CROWN-IBP on tfjs.
 * @example
 * const ibp = await createOrtIbpObjective(engine, exportToOnnx(model));
 * const { gradients } = await ibp.compute(x, labels, n, { epsilon: 0.1, kappa: 0.5, bounds: [0, 1] });
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { RampartError } from '../../errors.js';
import { buildBackwardGraph, backwardNames, type BackwardGraph } from '../../engine/onnx-grad/generate.js';
import { buildIbpTrainingGraph, ibpBoxWidth, ibpGraphNames, type IbpTrainingGraph } from '../../certify/ibp-onnx-graph.js';
import { sampleSize, type TrainingEngine } from '../engines/engine.js';

export interface OrtIbpStep {
  epsilon: number;
  /** Weight of the clean loss. */
  kappa: number;
  bounds: readonly [number, number];
  /** CROWN-IBP weight β of the mix β·CROWN-IBP + (1−β)·IBP (objectives created with `crownIbp`; default 0). */
  beta?: number;
}

export interface OrtIbpObjective {
  /** Weight gradients of the mean objective over the batch, its value, and the clean logits. */
  compute(x: Float32Array, labels: ArrayLike<number>, count: number, step: OrtIbpStep): Promise<{ gradients: Map<string, Float32Array>; value: number; logits: Float32Array }>;
  /** IBP lower bounds m of the margins z_y − z_j [count · K] (0 at the label; `verifiedFromMargins` reads them). */
  marginLowerBounds(x: Float32Array, labels: ArrayLike<number>, count: number, step: Omit<OrtIbpStep, 'kappa'>): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Builds the IBP session for an ORT training engine created from `onnxBytes` (the same export, so weight names and
 * layouts match the engine's). Throws MODEL_UNSUPPORTED when the graph has an op IBP-in-ONNX cannot bound.
 */
export async function createOrtIbpObjective(engine: TrainingEngine, onnxBytes: Uint8Array, options: { threads?: number; crownIbp?: boolean } = {}): Promise<OrtIbpObjective> {
  if (engine.kind !== 'ort') throw new RampartError('INTERNAL', 'createOrtIbpObjective needs the ONNX Runtime training engine.');
  const ort = await import('onnxruntime-node');
  const open = async (ibp: IbpTrainingGraph) => {
    // Constants the engine does not train (e.g. a normalisation's mean) stay constants of the bound.
    const trainable = ibp.weights.filter((name) => engine.weights.has(name));
    if (trainable.length === 0) throw new RampartError('MODEL_UNSUPPORTED', 'IBP on ONNX Runtime: the bound depends on no weight the engine trains; use --engine tfjs.');
    const graph = buildBackwardGraph(ibp.bytes, { loss: 'cross-entropy', inputGradient: false, trainable });
    // Weights are graph inputs: level 'extended' (see docs/engine.md, training sessions).
    const session: InferenceSession = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'extended' });
    return { graph, session };
  };
  const ibpGraph = buildIbpTrainingGraph(onnxBytes);
  // CROWN-IBP is built first so an unsupported graph fails before any session exists.
  const crownGraph = options.crownIbp ? buildIbpTrainingGraph(onnxBytes, { crownIbp: true }) : undefined;
  const ibpSession = await open(ibpGraph);
  const crownSession = crownGraph ? await open(crownGraph) : undefined;
  const perSample = sampleSize(ibpGraph.sampleDims);
  const k = ibpGraph.numClasses;
  const rowSize = ibpBoxWidth(perSample, k);
  /** The CROWN-IBP session while β > 0, else the cheaper IBP one. */
  const sessionFor = (beta: number) => (beta > 0 && crownSession ? crownSession : ibpSession);

  const check = (x: Float32Array, labels: ArrayLike<number>, count: number) => {
    if (x.length !== count * perSample || labels.length !== count) {
      throw new RampartError('DATA_SHAPE_MISMATCH', `IBP training: ${count} samples need ${count * perSample} values and ${count} labels (got ${x.length} and ${labels.length}).`);
    }
  };
  /** The graph's input rows (box corners clipped to the input bounds, then the one-hot label) and the one-hot rows. */
  const boxes = (x: Float32Array, labels: ArrayLike<number>, count: number, epsilon: number, [low, high]: readonly [number, number], beta: number) => {
    const box = new Float32Array(count * rowSize);
    const oneHot = new Float32Array(count * k);
    for (let i = 0; i < count; i++) {
      const row = i * rowSize;
      for (let j = 0; j < perSample; j++) {
        const v = x[i * perSample + j];
        box[row + j] = Math.max(low, v - epsilon);
        box[row + perSample + j] = Math.min(high, v + epsilon);
      }
      const label = labels[i];
      if (!Number.isInteger(label) || label < 0 || label >= k) throw new RampartError('DATA_SHAPE_MISMATCH', `IBP training: label ${label} is outside 0..${k - 1}.`);
      box[row + 2 * perSample + label] = 1;
      box[row + 2 * perSample + k] = beta;
      oneHot[i * k + label] = 1;
    }
    return { box, oneHot };
  };
  const feedsFor = (graph: BackwardGraph, box: Float32Array, oneHot: Float32Array, count: number, share: number) => {
    const feeds: Record<string, OrtTensor> = {
      [ibpGraphNames.box]: new ort.Tensor('float32', box, [count, rowSize]),
      [backwardNames.oneHot]: new ort.Tensor('float32', oneHot, [count, k]),
      [backwardNames.weight]: new ort.Tensor('float32', new Float32Array(count).fill(share), [count]),
    };
    for (const p of graph.parameters) feeds[p.name] = new ort.Tensor('float32', engine.weights.get(p.name)!, p.dims);
    return feeds;
  };

  return {
    async marginLowerBounds(x, labels, count, step) {
      check(x, labels, count);
      const { box, oneHot } = boxes(x, labels, count, step.epsilon, step.bounds, 0);
      const out = await ibpSession.session.run(feedsFor(ibpSession.graph, box, oneHot, count, 0), [backwardNames.logits]);
      // The graph's output is the worst-case logits −m.
      return (out[backwardNames.logits].data as Float32Array).map((v) => -v);
    },
    async compute(x, labels, count, step) {
      check(x, labels, count);
      if (step.epsilon <= 0) {
        // ε = 0 (the start of the ramp): the clean loss alone, as the tfjs objective.
        const clean = await engine.weightGradients(x, labels, new Float32Array(count).fill(1 / count), count);
        let value = 0;
        for (let i = 0; i < count; i++) value += clean.loss[i] / count;
        return { gradients: clean.gradients, value, logits: clean.logits };
      }
      const beta = step.beta ?? 0;
      const { graph, session } = sessionFor(beta);
      const { box, oneHot } = boxes(x, labels, count, step.epsilon, step.bounds, beta);
      const robustShare = 1 - step.kappa;
      const feeds = feedsFor(graph, box, oneHot, count, robustShare / count);
      const out = await session.run(feeds, [backwardNames.loss, ...graph.parameters.map((p) => p.gradient)]);
      const robustLoss = out[backwardNames.loss].data as Float32Array;
      let value = 0;
      for (let i = 0; i < count; i++) value += (robustShare / count) * robustLoss[i];
      const gradients = new Map<string, Float32Array>();
      for (const name of engine.weights.keys()) gradients.set(name, new Float32Array(engine.weights.get(name)!.length));
      for (const p of graph.parameters) gradients.get(p.name)!.set(out[p.gradient].data as Float32Array);
      let logits: Float32Array;
      if (step.kappa > 0) {
        const clean = await engine.weightGradients(x, labels, new Float32Array(count).fill(step.kappa / count), count);
        for (const [name, g] of clean.gradients) {
          const sum = gradients.get(name)!;
          for (let i = 0; i < sum.length; i++) sum[i] += g[i];
        }
        for (let i = 0; i < count; i++) value += (step.kappa / count) * clean.loss[i];
        logits = clean.logits;
      } else {
        logits = await engine.logits(x, count);
      }
      return { gradients, value, logits };
    },
    async release() {
      await ibpSession.session.release();
      await crownSession?.session.release();
    },
  };
}
