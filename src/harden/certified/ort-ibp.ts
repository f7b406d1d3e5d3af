/**
 * IBP certified training on ONNX Runtime (Gowal et al. 2018, https://arxiv.org/abs/1810.12715): the objective
 * κ·CE(z(x), y) + (1−κ)·CE(−m, y) of `objective.ts`, with m the interval-bound margin lower bounds, computed by two
 * generated backward graphs run in ONNX Runtime instead of tfjs autodiff: the ORT training engine's own graph for
 * the clean term and the backward graph of the IBP graph (`certify/ibp-onnx-graph.ts`) for the robust term. Both
 * read the engine's weight arrays, so the optimizer updates one set of weights. On a 784-1024-1024-10 MLP this runs
 * several times faster than the tfjs path (docs/harden.md). CROWN-IBP stays on tfjs.
 * @example
 * const ibp = await createOrtIbpObjective(engine, exportToOnnx(model));
 * const { gradients } = await ibp.compute(x, labels, n, { epsilon: 0.1, kappa: 0.5, bounds: [0, 1] });
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { RampartError } from '../../errors.js';
import { buildBackwardGraph, backwardNames } from '../../engine/onnx-grad/generate.js';
import { buildIbpTrainingGraph, ibpGraphNames } from '../../certify/ibp-onnx-graph.js';
import { sampleSize, type TrainingEngine } from '../engines/engine.js';

export interface OrtIbpStep {
  epsilon: number;
  /** Weight of the clean loss. */
  kappa: number;
  bounds: readonly [number, number];
}

export interface OrtIbpObjective {
  /** Weight gradients of the mean objective over the batch, its value, and the clean logits. */
  compute(x: Float32Array, labels: ArrayLike<number>, count: number, step: OrtIbpStep): Promise<{ gradients: Map<string, Float32Array>; value: number; logits: Float32Array }>;
  release(): Promise<void>;
}

/**
 * Builds the IBP session for an ORT training engine created from `onnxBytes` (the same export, so weight names and
 * layouts match the engine's). Throws MODEL_UNSUPPORTED when the graph has an op IBP-in-ONNX cannot bound.
 */
export async function createOrtIbpObjective(engine: TrainingEngine, onnxBytes: Uint8Array, threads = 1): Promise<OrtIbpObjective> {
  if (engine.kind !== 'ort') throw new RampartError('INTERNAL', 'createOrtIbpObjective needs the ONNX Runtime training engine.');
  const ibp = buildIbpTrainingGraph(onnxBytes);
  const missing = ibp.weights.filter((name) => !engine.weights.has(name));
  if (missing.length > 0) {
    throw new RampartError('MODEL_UNSUPPORTED', `IBP on ONNX Runtime: the weights ${missing.join(', ')} are not trained by the engine; use --engine tfjs.`);
  }
  const graph = buildBackwardGraph(ibp.bytes, { loss: 'cross-entropy', inputGradient: false, trainable: ibp.weights });
  const ort = await import('onnxruntime-node');
  // Weights are graph inputs: level 'extended' (see docs/engine.md, training sessions).
  const session: InferenceSession = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'extended' });
  const perSample = sampleSize(ibp.sampleDims);
  const k = ibp.numClasses;
  const rowSize = 2 * perSample + k;

  return {
    async compute(x, labels, count, step) {
      if (x.length !== count * perSample || labels.length !== count) {
        throw new RampartError('DATA_SHAPE_MISMATCH', `IBP training: ${count} samples need ${count * perSample} values and ${count} labels (got ${x.length} and ${labels.length}).`);
      }
      if (step.epsilon <= 0) {
        // ε = 0 (the start of the ramp): the clean loss alone, as the tfjs objective.
        const clean = await engine.weightGradients(x, labels, new Float32Array(count).fill(1 / count), count);
        let value = 0;
        for (let i = 0; i < count; i++) value += clean.loss[i] / count;
        return { gradients: clean.gradients, value, logits: clean.logits };
      }
      const [low, high] = step.bounds;
      const box = new Float32Array(count * rowSize);
      const oneHot = new Float32Array(count * k);
      for (let i = 0; i < count; i++) {
        const row = i * rowSize;
        for (let j = 0; j < perSample; j++) {
          const v = x[i * perSample + j];
          box[row + j] = Math.max(low, v - step.epsilon);
          box[row + perSample + j] = Math.min(high, v + step.epsilon);
        }
        const label = labels[i];
        if (!Number.isInteger(label) || label < 0 || label >= k) throw new RampartError('DATA_SHAPE_MISMATCH', `IBP training: label ${label} is outside 0..${k - 1}.`);
        box[row + 2 * perSample + label] = 1;
        oneHot[i * k + label] = 1;
      }
      const robustShare = 1 - step.kappa;
      const feeds: Record<string, OrtTensor> = {
        [ibpGraphNames.box]: new ort.Tensor('float32', box, [count, rowSize]),
        [backwardNames.oneHot]: new ort.Tensor('float32', oneHot, [count, k]),
        [backwardNames.weight]: new ort.Tensor('float32', new Float32Array(count).fill(robustShare / count), [count]),
      };
      for (const p of graph.parameters) feeds[p.name] = new ort.Tensor('float32', engine.weights.get(p.name)!, p.dims);
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
      await session.release();
    },
  };
}
