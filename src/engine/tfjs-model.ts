/**
 * TF.js adapter: LayersModel and GraphModel folders as Rampart models.
 *
 * Rampart's contract is logits. A LayersModel whose output layer ends in softmax is loaded with that final
 * activation replaced by a linear one (so gradients are not squashed by the softmax; this matters for attacks),
 * and `outputWasSoftmax` records it. A GraphModel's output is used as it is.
 *
 * Gradients: a LayersModel loaded from disk is frozen, so its async `lossAndGradient` runs on ONNX Runtime through
 * a generated backward graph of its ONNX export (3–4× faster than tfjs-wasm, see docs/engine.md), falling back to
 * tfjs when a layer cannot be exported or differentiated there. In-memory models (`fromLayersModel`, e.g. during
 * training) keep tfjs gradients, since their weights change. `lossAndGradientSync` is always tfjs.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from './tf.js';
import { RampartError } from '../errors.js';
import type { LossName } from './losses.js';
import type { Bounds, DifferentiableModel, LossAndGradient, ModelFormat } from './model.js';
import { readTfjsArtifacts } from './tfjs-io.js';
import { tfjsLossAndGradient } from './autodiff.js';
import { createOrtGradientForLayersModel, type OrtGradient } from './ort-gradient.js';

/** Which engine computes the async `lossAndGradient`: ONNX Runtime when possible ('auto'), or always tfjs. */
export type GradientEngineChoice = 'auto' | 'tfjs';

export interface TfjsModelOptions {
  id?: string;
  bounds?: Bounds;
  /** Gradient engine for LayersModels loaded from disk (default 'auto': ONNX Runtime when the model exports). */
  gradients?: GradientEngineChoice;
}

type Forward = (x: Tensor) => Tensor;

export class TfjsModel implements DifferentiableModel {
  readonly format: ModelFormat;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly bounds: Bounds;

  constructor(
    readonly id: string,
    format: ModelFormat,
    private readonly forward: Forward,
    inputShape: readonly number[],
    numClasses: number,
    bounds: Bounds,
    /** The underlying tfjs model, for training, saving and export. */
    readonly layersModel: tfl.LayersModel | undefined,
    private readonly release: () => void,
    /** True when the stored model ended in softmax and Rampart removed it to expose logits. */
    readonly outputWasSoftmax = false,
    private readonly gradientChoice: GradientEngineChoice = 'tfjs',
  ) {
    this.format = format;
    this.inputShape = inputShape;
    this.numClasses = numClasses;
    this.bounds = bounds;
  }

  /** Wraps an in-memory LayersModel whose output is logits (e.g. one Rampart just trained). */
  static fromLayersModel(model: tfl.LayersModel, options: TfjsModelOptions = {}): TfjsModel {
    const inputShape = model.inputs[0].shape.slice(1) as number[];
    const outputShape = model.outputs[0].shape;
    return new TfjsModel(
      options.id ?? model.name,
      'tfjs-layers',
      (x) => model.apply(x, { training: false }) as Tensor,
      inputShape,
      outputShape[outputShape.length - 1] as number,
      options.bounds ?? [0, 1],
      model,
      () => model.dispose(),
    );
  }

  /** Number of weights (trainable and not). */
  get parameterCount(): number | undefined {
    return this.layersModel?.countParams();
  }

  /** Layer class names in order (LayersModel), or graph op types (GraphModel). */
  get opTypes(): string[] {
    if (this.layersModel) return [...new Set(this.layersModel.layers.map((l) => l.getClassName()))];
    return [];
  }

  async logits(x: Tensor): Promise<Tensor2D> {
    return this.logitsSync(x);
  }

  logitsSync(x: Tensor): Tensor2D {
    this.checkInput(x);
    return tf.tidy(() => {
      const out = this.forward(x);
      return (out.rank === 2 ? out : tf.reshape(out, [out.shape[0], -1])) as Tensor2D;
    });
  }

  private ortGradient: Promise<OrtGradient | undefined> | undefined;
  private ortFallbackReason: string | undefined;

  private ortEngine(): Promise<OrtGradient | undefined> {
    if (this.gradientChoice === 'tfjs' || !this.layersModel) {
      this.ortFallbackReason ??= this.layersModel ? 'tfjs gradients were requested' : 'graph models run on tfjs';
      return Promise.resolve(undefined);
    }
    this.ortGradient ??= createOrtGradientForLayersModel(this.layersModel).catch((error: unknown) => {
      this.ortFallbackReason = error instanceof Error ? error.message : String(error);
      return undefined;
    });
    return this.ortGradient;
  }

  /** Which engine the async `lossAndGradient` uses, and why not ONNX Runtime when it does not. */
  async gradientEngine(): Promise<{ engine: 'onnxruntime' | 'tfjs'; reason?: string }> {
    const engine = await this.ortEngine();
    return engine ? { engine: 'onnxruntime' } : { engine: 'tfjs', reason: this.ortFallbackReason };
  }

  async lossAndGradient(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): Promise<LossAndGradient> {
    const engine = await this.ortEngine();
    if (engine) {
      this.checkInput(x);
      return engine.lossAndGradient(x, labels, loss, targets);
    }
    return this.lossAndGradientSync(x, labels, loss, targets);
  }

  lossAndGradientSync(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): LossAndGradient {
    this.checkInput(x);
    return tfjsLossAndGradient((input) => this.logitsSync(input), x, labels, loss, targets);
  }

  dispose(): void {
    const pending = this.ortGradient;
    this.ortGradient = undefined;
    void pending?.then((engine) => engine?.release());
    this.release();
  }

  private checkInput(x: Tensor): void {
    const expected = this.inputShape;
    const actual = x.shape.slice(1);
    const fits = actual.length === expected.length && actual.every((d, i) => expected[i] === null || expected[i] === -1 || d === expected[i]);
    if (!fits) {
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `Model ${this.id} expects samples of shape [${expected.join(', ')}] but got [${actual.join(', ')}]. Use data of the model's input size (images are NHWC).`,
        { expected, actual },
      );
    }
  }
}

/** Replaces a final softmax in a Keras/TF.js topology with a linear activation; returns whether it did. */
function stripFinalSoftmax(topology: Record<string, unknown>): boolean {
  const modelConfig = topology['model_config'] ?? topology;
  const config = (modelConfig as { config?: unknown }).config as Record<string, unknown> | undefined;
  if (!config) return false;
  const layers = (Array.isArray(config) ? config : config['layers']) as Array<{ class_name: string; config: Record<string, unknown> }> | undefined;
  if (!layers?.length) return false;
  let outputLayer = layers[layers.length - 1];
  const outputLayers = (config as { output_layers?: unknown[][] }).output_layers;
  if (outputLayers?.length === 1) {
    const name = outputLayers[0][0];
    outputLayer = layers.find((l) => (l.config as { name?: string }).name === name || (l as { name?: string }).name === name) ?? outputLayer;
  }
  if (outputLayer.config['activation'] === 'softmax') {
    outputLayer.config['activation'] = 'linear';
    return true;
  }
  if (outputLayer.class_name === 'Softmax') {
    outputLayer.class_name = 'Activation';
    outputLayer.config = { name: outputLayer.config['name'], trainable: false, activation: 'linear', dtype: 'float32' };
    return true;
  }
  return false;
}

/** Loads a TF.js LayersModel or GraphModel from a model.json path. */
export async function loadTfjsModel(modelJsonPath: string, options: TfjsModelOptions = {}): Promise<TfjsModel> {
  const { json, artifacts } = readTfjsArtifacts(modelJsonPath);
  const id = options.id ?? modelJsonPath;
  const bounds = options.bounds ?? [0, 1];
  const isGraph = json.format === 'graph-model' || (json.modelTopology as { node?: unknown }).node !== undefined;
  try {
    if (isGraph) {
      const tfconv = await import('@tensorflow/tfjs-converter');
      const graphModel = await tfconv.loadGraphModel(tf.io.fromMemory(artifacts));
      const inputShape = (graphModel.inputs[0]?.shape ?? []).slice(1);
      const outputShape = graphModel.outputs[0]?.shape ?? [];
      let numClasses = outputShape[outputShape.length - 1];
      if ((!numClasses || numClasses < 0) && inputShape.every((d) => d > 0)) {
        // The graph does not declare its output shape: one forward pass on a zero sample tells it.
        numClasses = tf.tidy(() => {
          const out = graphModel.execute(tf.zeros([1, ...inputShape])) as Tensor;
          return out.shape[out.shape.length - 1];
        });
      }
      if (!numClasses || numClasses < 0) {
        throw new RampartError('MODEL_UNSUPPORTED', `Cannot tell the number of classes of graph model ${modelJsonPath}: its output shape is unknown.`, {});
      }
      return new TfjsModel(id, 'tfjs-graph', (x) => graphModel.execute(x) as Tensor, inputShape, numClasses, bounds, undefined, () =>
        graphModel.dispose(),
      );
    }
    const topology = structuredClone(artifacts.modelTopology) as Record<string, unknown>;
    const outputWasSoftmax = stripFinalSoftmax(topology);
    const layersModel = await tfl.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: topology }));
    const inputShape = layersModel.inputs[0].shape.slice(1) as number[];
    const outputShape = layersModel.outputs[0].shape;
    return new TfjsModel(
      id,
      'tfjs-layers',
      (x) => layersModel.apply(x, { training: false }) as Tensor,
      inputShape,
      outputShape[outputShape.length - 1] as number,
      bounds,
      layersModel,
      () => layersModel.dispose(),
      outputWasSoftmax,
      options.gradients ?? 'auto',
    );
  } catch (e) {
    if (e instanceof RampartError) throw e;
    throw new RampartError(
      'MODEL_CORRUPT',
      `Could not build the TF.js model in ${modelJsonPath}: ${(e as Error).message}. Check that the folder holds a complete model saved by TF.js.`,
      { file: modelJsonPath },
    );
  }
}
