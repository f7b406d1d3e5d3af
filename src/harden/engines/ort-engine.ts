/**
 * Training engine on ONNX Runtime: one generated backward graph (`onnx-grad`) of the model with every weight a
 * graph input serves attack steps (only the input-gradient output is fetched; ORT runs only what the fetched
 * outputs need) and logits; weight steps run a second graph without the input gradient, which the generator can
 * make cheaper (a first conv-pool block in pool-plane layout: −10% CPU per CNN weight step). Works for a TF.js LayersModel
 * (exported with `exportToOnnx`, NHWC input) and for an ONNX model whose ops all have backward rules
 * (fine-tuning; `exportFineTunedOnnx` writes the trained initializers back into the original file).
 * @example const engine = await createOrtEngine({ layersModel }); // or { onnxBytes }
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { RampartError } from '../../errors.js';
import { exportToOnnx } from '../../engine/export-onnx.js';
import { buildBackwardGraph, backwardNames, type BackwardGraph } from '../../engine/onnx-grad/generate.js';
import { copyWeightsToLayersModel, type OrtTrainer } from '../../engine/ort-trainer.js';
import { oneHotRows } from '../../engine/ort-gradient.js';
import { onnxTypes } from '../../engine/onnx/proto.js';
import { sampleSize, type TrainingEngine } from './engine.js';

export interface OrtEngineSource {
  layersModel?: LayersModel;
  onnxBytes?: Uint8Array;
  /** ONNX Runtime intra-op threads (default 1). */
  threads?: number;
}

export async function createOrtEngine(source: OrtEngineSource): Promise<TrainingEngine> {
  const bytes = source.onnxBytes ?? (source.layersModel ? exportToOnnx(source.layersModel) : undefined);
  if (!bytes) throw new RampartError('BAD_OPTION', 'createOrtEngine: give a layersModel or onnxBytes.');
  const build = (loss: 'cross-entropy' | 'cw-margin') => buildBackwardGraph(bytes, { loss, trainable: 'all', inputGradient: true });
  const graph = build('cross-entropy');
  if (graph.fixedBatch !== undefined) {
    throw new RampartError('MODEL_UNSUPPORTED', `The model's batch size is fixed at ${graph.fixedBatch}; training needs a symbolic batch dimension. Re-export it with a dynamic batch axis.`);
  }
  const ort = await import('onnxruntime-node');
  // Weights are graph inputs here, so ONNX Runtime's NCHWc pass (level 'all') cannot convert the convs and only adds
  // Reorder nodes: 'extended' (weight steps 91.0 → 85.7 ms CPU per CNN batch of 256; attack steps 87.7 → 86.7).
  const open = async (g: BackwardGraph) =>
    ort.InferenceSession.create(g.bytes, { intraOpNumThreads: source.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'extended' });
  const sessions = new Map<string, { graph: BackwardGraph; session: InferenceSession }>();
  sessions.set('cross-entropy', { graph, session: await open(graph) });
  const sessionFor = async (loss: 'cross-entropy' | 'cw-margin') => {
    let s = sessions.get(loss);
    if (!s) {
      const g = build(loss);
      s = { graph: g, session: await open(g) };
      sessions.set(loss, s);
    }
    return s;
  };
  // Weight steps get a graph of their own without the input gradient: the generator then computes a first
  // conv-pool block in pool-plane layout (`onnx-grad/rules/conv-pool.ts`), 85.7 → 77.4 ms CPU per CNN batch of 256.
  let weightStepSession: Promise<{ graph: BackwardGraph; session: InferenceSession }> | undefined;
  const weightSession = () => {
    weightStepSession ??= (async () => {
      const g = buildBackwardGraph(bytes, { loss: 'cross-entropy', trainable: 'all', inputGradient: false });
      return { graph: g, session: await open(g) };
    })();
    return weightStepSession;
  };
  const weights = new Map(graph.parameters.map((p) => [p.name, Float32Array.from(p.initial)]));
  const dims = new Map(graph.parameters.map((p) => [p.name, p.dims]));
  const k = graph.numClasses;
  const perSample = sampleSize(graph.sampleDims);
  const sampleShape = source.layersModel ? (source.layersModel.inputs[0].shape.slice(1) as number[]) : graph.sampleDims;

  const run = async (loss: 'cross-entropy' | 'cw-margin', x: Float32Array, labels: ArrayLike<number>, count: number, weight: Float32Array, outputs: 'input' | 'weights' | 'none') => {
    if (x.length !== count * perSample || labels.length !== count) {
      throw new RampartError('DATA_SHAPE_MISMATCH', `OrtEngine: ${count} samples need ${count * perSample} values and ${count} labels (got ${x.length} and ${labels.length}).`);
    }
    const { graph: g, session } = outputs === 'weights' && loss === 'cross-entropy' ? await weightSession() : await sessionFor(loss);
    const feeds: Record<string, OrtTensor> = {
      [g.inputName]: new ort.Tensor('float32', x, [count, ...g.sampleDims]),
      [backwardNames.oneHot]: new ort.Tensor('float32', oneHotRows(labels, k, 'OrtEngine'), [count, k]),
      [backwardNames.weight]: new ort.Tensor('float32', weight, [count]),
    };
    for (const [name, w] of weights) feeds[name] = new ort.Tensor('float32', w, dims.get(name)!);
    const names: string[] = [backwardNames.logits, backwardNames.loss];
    if (outputs === 'input') names.push(g.inputGradient!);
    if (outputs === 'weights') names.push(...g.parameters.map((p) => p.gradient));
    const out = await session.run(feeds, names);
    return { g, out };
  };

  return {
    kind: 'ort',
    sampleShape,
    numClasses: k,
    weights,
    layersModel: source.layersModel,
    async inputGradient(x, labels, count, loss = 'cross-entropy', w) {
      const { g, out } = await run(loss, x, labels, count, w ?? new Float32Array(count).fill(1), 'input');
      return {
        logits: out[backwardNames.logits].data as Float32Array,
        loss: out[backwardNames.loss].data as Float32Array,
        gradient: out[g.inputGradient!].data as Float32Array,
      };
    },
    async weightGradients(x, labels, w, count) {
      const { g, out } = await run('cross-entropy', x, labels, count, w, 'weights');
      return {
        logits: out[backwardNames.logits].data as Float32Array,
        loss: out[backwardNames.loss].data as Float32Array,
        gradients: new Map(g.parameters.map((p) => [p.name, out[p.gradient].data as Float32Array])),
      };
    },
    async logits(x, count) {
      const { out } = await run('cross-entropy', x, new Int32Array(count), count, new Float32Array(count), 'none');
      return out[backwardNames.logits].data as Float32Array;
    },
    weightsChanged() {},
    commit() {
      if (source.layersModel) copyWeightsToLayersModel({ weights } as unknown as OrtTrainer, source.layersModel);
    },
    async release() {
      for (const s of sessions.values()) await s.session.release();
      sessions.clear();
      if (weightStepSession) await (await weightStepSession).session.release();
      weightStepSession = undefined;
    },
  };
}

/** The original ONNX bytes with the trained weights written over their initializers (float32 raw data). */
export function exportFineTunedOnnx(bytes: Uint8Array, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const model: any = onnxTypes.ModelProto.decode(bytes);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  for (const init of model.graph.initializer as any[]) {
    const values = weights.get(init.name);
    if (!values) continue;
    init.dataType = 1;
    init.floatData = [];
    init.rawData = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  }
  return onnxTypes.ModelProto.encode(model).finish();
}
