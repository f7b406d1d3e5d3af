/**
 * `loadOnnxModel`: an ONNX file as a Rampart `DifferentiableModel`. Two engines behind one model:
 * - `logits()` (async) runs ONNX Runtime, the fast forward path;
 * - `logitsSync()` / `lossAndGradientSync()` run the graph imported into tfjs ops, so gradients flow.
 * Both are also exposed by name (`logitsOrt`, `logitsTfjs`) so callers and tests can cross-check them.
 *
 * Rampart feeds images NHWC ([N, H, W, C]); ONNX image models are usually NCHW. The input layout is detected
 * (a 4-D input whose dim 1 is 1 or 3 and whose last dim is larger is NCHW) or set with `layout`, and the
 * adapter transposes. Inputs with a single non-unit sample dim (ACAS Xu's [1, 1, 1, 5]) are vector models
 * with sample shape [F]; the adapter reshapes to the declared dims, and runs fixed-batch models chunk by chunk.
 *
 * @example
 * const model = await loadOnnxModel('test/fixtures/onnx/mnist-cnn-norm.onnx');
 * model.inputShape; // [28, 28, 1]
 * model.opTypes;    // ['AveragePool', 'Cast', 'Concat', 'Constant', 'ConstantOfShape', 'Conv', ...]
 */
import fs from 'node:fs/promises';
import { z } from 'zod';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../tf.js';
import { activeBackend, setupBackend } from '../backend.js';
import { losses, type LossName } from '../losses.js';
import type { Bounds, DifferentiableModel, LossAndGradient } from '../model.js';
import { RampartError } from '../../errors.js';
import { graphOpTypes, parseOnnx, type OnnxGraph } from './graph.js';
import { importOnnxGraph, type ImportedOnnxGraph } from './import.js';
import { createOrtRunner, type OrtRunner } from './ort.js';
import { createOrtGradient, type OrtGradient } from '../ort-gradient.js';

export const onnxModelOptionsSchema = z
  .object({
    /** Identifier reported in results; defaults to the path (or 'onnx:bytes'). */
    id: z.string().optional(),
    /** Input layout of the ONNX model; 'auto' detects it from the declared input shape. */
    layout: z.enum(['nchw', 'nhwc', 'auto']).default('auto'),
    /** Valid input range (after the adapter, before any in-graph normalisation). */
    bounds: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => lo < hi, 'bounds must be [min, max] with min < max')
      .default([0, 1]),
    /** Number of classes, when the model's output shape does not say. */
    numClasses: z.number().int().positive().optional(),
    /** ONNX Runtime intra-op threads. */
    threads: z.number().int().positive().default(1),
    /** Skip the tfjs import (forward through ONNX Runtime only); sync and gradient methods then throw. */
    forwardOnly: z.boolean().default(false),
    /**
     * Engine of the async `lossAndGradient`: 'auto' runs a generated ONNX backward graph in ONNX Runtime when
     * every op has a backward rule and falls back to tfjs otherwise; 'ort' requires it; 'tfjs' never uses it.
     */
    gradients: z.enum(['auto', 'ort', 'tfjs']).default('auto'),
  })
  .strict();

/** Options of `loadOnnxModel` (validated by `onnxModelOptionsSchema`; `bounds` may be a readonly tuple). */
export type OnnxModelOptions = Omit<z.input<typeof onnxModelOptionsSchema>, 'bounds'> & { bounds?: Bounds };

/** How Rampart's samples map onto the model's input. */
export type OnnxInputLayout = 'nchw' | 'nhwc' | 'vector' | 'plain';

export interface OnnxModel extends DifferentiableModel {
  readonly format: 'onnx';
  /** Sorted op types the graph uses. */
  readonly opTypes: readonly string[];
  /** Number of float weights. */
  readonly parameterCount: number;
  /** The parsed graph (for bound propagation and `rampart info`). */
  readonly graph: OnnxGraph;
  /** How samples are laid out for the model. */
  readonly layout: OnnxInputLayout;
  /** False when loaded forward-only: the model then counts as black-box (scores only). */
  readonly gradientsAvailable: boolean;
  /** Dims of one sample as the ONNX model declares it (no batch dim). */
  readonly modelSampleDims: readonly number[];
  /** Forward pass through ONNX Runtime. */
  logitsOrt(x: Tensor): Promise<Tensor2D>;
  /** Forward pass through the tfjs import (synchronous, differentiable). */
  logitsTfjs(x: Tensor): Tensor2D;
  /** Which engine `lossAndGradient` uses, and why not ONNX Runtime when it falls back to tfjs. */
  gradientEngine(): Promise<{ engine: 'onnxruntime' | 'tfjs'; reason?: string }>;
}

interface InputPlan {
  layout: OnnxInputLayout;
  inputShape: number[];
  modelSampleDims: number[];
  fixedBatch?: number;
}

function planInput(graph: OnnxGraph, requested: 'nchw' | 'nhwc' | 'auto'): InputPlan {
  const input = graph.inputs[0];
  const dims = input?.dims;
  if (!input || !dims || dims.length < 2) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `${graph.source} does not declare a batched input shape (got ${dims ? `[${dims.join(', ')}]` : 'none'}). Export it with an input of shape [batch, ...] (torch.onnx.export with a sample input and dynamic_axes={'input': {0: 'batch'}}).`,
      { source: graph.source },
    );
  }
  const sample = dims.slice(1);
  if (!sample.every((d): d is number => typeof d === 'number')) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `${graph.source} declares a symbolic sample shape [${dims.join(', ')}]; Rampart needs every dimension except the batch fixed. Re-export it with dynamic_axes only on dim 0.`,
      { source: graph.source },
    );
  }
  const fixedBatch = typeof dims[0] === 'number' ? dims[0] : undefined;
  const nonUnit = sample.filter((d) => d > 1).length;
  if (requested === 'auto' && sample.length > 1 && nonUnit <= 1) {
    return { layout: 'vector', inputShape: [sample.reduce((a, b) => a * b, 1)], modelSampleDims: sample, fixedBatch };
  }
  if (sample.length !== 3) return { layout: 'plain', inputShape: sample, modelSampleDims: sample, fixedBatch };
  const [d1, , d3] = sample;
  const layout = requested !== 'auto' ? requested : (d1 === 1 || d1 === 3) && d3 > d1 ? 'nchw' : 'nhwc';
  const inputShape = layout === 'nchw' ? [sample[1], sample[2], sample[0]] : sample;
  return { layout, inputShape, modelSampleDims: sample, fixedBatch };
}

function describeLayout(plan: InputPlan): string {
  if (plan.layout === 'nchw') return ` (NHWC; the ONNX model's input is NCHW [${plan.modelSampleDims.join(', ')}])`;
  if (plan.layout === 'nhwc') return ' (NHWC, as the ONNX model takes it)';
  if (plan.layout === 'vector') return ` (the ONNX model declares [${plan.modelSampleDims.join(', ')}])`;
  return '';
}

/** Loads an ONNX model from a path or bytes. */
export async function loadOnnxModel(file: string | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
  const parsedOptions = onnxModelOptionsSchema.safeParse({
    ...options,
    ...(options.bounds ? { bounds: [...options.bounds] } : {}),
  });
  if (!parsedOptions.success) {
    throw new RampartError(
      'BAD_OPTION',
      `loadOnnxModel: ${parsedOptions.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}.`,
      { issues: parsedOptions.error.issues },
    );
  }
  const opts = parsedOptions.data;
  const source = typeof file === 'string' ? file : (opts.id ?? 'ONNX model bytes');
  let bytes: Uint8Array;
  if (typeof file === 'string') {
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new RampartError(
        code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'MODEL_CORRUPT',
        code === 'ENOENT' ? `Model file ${file} does not exist. Check the --model path.` : `Cannot read ${file}: ${(e as Error).message}.`,
        { file },
      );
    }
  } else {
    bytes = file;
  }
  const graph = parseOnnx(bytes, source);
  if (graph.inputs.length !== 1) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `${source} has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}); Rampart models take exactly one input tensor.`,
      { source },
    );
  }
  const plan = planInput(graph, opts.layout);
  if (activeBackend() === undefined) await setupBackend();
  // ArgMax makes the output piecewise constant in the input (e.g. a hard-voting ensemble's single graph): it has no
  // input gradient, so such a graph runs forward-only through ONNX Runtime (a black box) instead of failing import
  const noGradient = graphOpTypes(graph).includes('ArgMax') ? 'its graph takes an ArgMax (piecewise-constant output, no input gradient); use a score- or decision-based attack' : undefined;
  const forwardOnly = opts.forwardOnly || noGradient !== undefined;
  const imported: ImportedOnnxGraph | undefined = forwardOnly ? undefined : importOnnxGraph(graph);
  const output = graph.outputs[0];
  let runner: OrtRunner;
  try {
    runner = await createOrtRunner(bytes, {
      inputName: graph.inputs[0].name,
      outputName: output.name,
      sampleDims: plan.modelSampleDims,
      fixedBatch: plan.fixedBatch,
      threads: opts.threads,
      source,
    });
  } catch (e) {
    imported?.dispose();
    throw e;
  }

  const outputDims = output.dims?.slice(1);
  let numClasses =
    opts.numClasses ??
    (outputDims && outputDims.length > 0 && outputDims.every((d): d is number => typeof d === 'number')
      ? outputDims.reduce((a, b) => a * b, 1)
      : undefined);
  if (numClasses === undefined) {
    const perInput = plan.modelSampleDims.reduce((a, b) => a * b, 1);
    numClasses = (await runner.run(new Float32Array(perInput), 1)).perSample;
  }

  const id = opts.id ?? source;
  const inputShape = plan.inputShape;
  const checkShape = (x: Tensor, where: string): void => {
    const sample = x.shape.slice(1);
    if (sample.length !== inputShape.length || sample.some((d, i) => d !== inputShape[i])) {
      const hint = plan.layout === 'nchw' || plan.layout === 'nhwc' ? ' If the model or data is laid out the other way, pass --layout nchw or --layout nhwc.' : '';
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `${where}: model ${id} expects samples of shape [${inputShape.join(', ')}]${describeLayout(plan)}, but the data has samples of shape [${sample.join(', ')}].${hint}`,
        { model: id, expected: inputShape, actual: sample },
      );
    }
  };
  /** Rampart batch -> model layout (caller tidies). */
  const toModelLayout = (x: Tensor): Tensor => {
    if (plan.layout === 'nchw') return tf.transpose(x, [0, 3, 1, 2]);
    if (plan.layout === 'vector') return tf.reshape(x, [x.shape[0], ...plan.modelSampleDims]);
    return x;
  };
  const requireImport = (): ImportedOnnxGraph => {
    if (!imported) {
      throw new RampartError(
        'BAD_OPTION',
        noGradient ? `${id} has no gradients or synchronous logits: ${noGradient}.` : `${id} was loaded forward-only (ONNX Runtime); load it without forwardOnly to compute gradients or synchronous logits.`,
      );
    }
    return imported;
  };
  let released = false;

  const logitsTfjs = (x: Tensor): Tensor2D => {
    checkShape(x, 'logitsSync');
    const graphFn = requireImport();
    return tf.tidy(() => {
      const y = graphFn.run(toModelLayout(x));
      return tf.reshape(y, [x.shape[0], -1]) as Tensor2D;
    });
  };
  const logitsOrt = async (x: Tensor): Promise<Tensor2D> => {
    checkShape(x, 'logits');
    if (released) throw new RampartError('BAD_OPTION', `${id} was disposed; load it again.`);
    const count = x.shape[0];
    const arranged = tf.tidy(() => tf.cast(toModelLayout(x), 'float32'));
    const samples = (await arranged.data()) as Float32Array;
    arranged.dispose();
    const { values, perSample } = await runner.run(samples, count);
    return tf.tensor2d(values, [count, perSample]);
  };
  const lossAndGradientSync = (x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): LossAndGradient => {
    checkShape(x, 'lossAndGradient');
    const lossFn = losses[loss];
    if (!lossFn) throw new RampartError('BAD_OPTION', `Unknown loss "${loss}"; use one of ${Object.keys(losses).join(', ')}.`);
    return tf.tidy(() => {
      let keptLogits: Tensor2D | undefined;
      let keptLosses: Tensor1D | undefined;
      const { value, grad } = tf.valueAndGrad((input: Tensor) => {
        const logits = logitsTfjs(input);
        const perSample = lossFn(logits, labels, targets);
        keptLogits = tf.keep(logits);
        keptLosses = tf.keep(perSample);
        return tf.sum(perSample);
      })(x);
      value.dispose();
      const result = { loss: tf.clone(keptLosses!), gradient: grad, logits: tf.clone(keptLogits!) };
      keptLogits!.dispose();
      keptLosses!.dispose();
      return result;
    });
  };

  // The ONNX Runtime gradient path (src/engine/onnx-grad), built on first use.
  let ortGradient: Promise<OrtGradient | undefined> | undefined;
  let gradientFallback: string | undefined = opts.gradients === 'tfjs' ? 'gradients: tfjs was requested' : undefined;
  const ortGradientEngine = (): Promise<OrtGradient | undefined> => {
    if (opts.gradients === 'tfjs') return Promise.resolve(undefined);
    ortGradient ??= createOrtGradient(bytes, { layout: plan.layout === 'nchw' ? 'nchw' : 'plain', threads: opts.threads, source }, graph).catch(
      (e: unknown) => {
        if (opts.gradients === 'ort' || !(e instanceof RampartError)) throw e;
        gradientFallback = e.message;
        return undefined;
      },
    );
    return ortGradient;
  };

  return {
    id,
    format: 'onnx',
    inputShape,
    numClasses,
    bounds: [opts.bounds[0], opts.bounds[1]] as Bounds,
    opTypes: graphOpTypes(graph),
    parameterCount: [...graph.initializers.values()]
      .filter((t) => t.data instanceof Float32Array || t.data instanceof Float64Array)
      .reduce((sum, t) => sum + t.data.length, 0),
    graph,
    layout: plan.layout,
    gradientsAvailable: !forwardOnly,
    modelSampleDims: plan.modelSampleDims,
    logits: logitsOrt,
    logitsOrt,
    logitsTfjs,
    logitsSync: logitsTfjs,
    lossAndGradientSync,
    lossAndGradient: async (x, labels, loss, targets) => {
      checkShape(x, 'lossAndGradient');
      const engine = await ortGradientEngine();
      return engine ? engine.lossAndGradient(x, labels, loss, targets) : lossAndGradientSync(x, labels, loss, targets);
    },
    async gradientEngine() {
      return (await ortGradientEngine()) ? { engine: 'onnxruntime' } : { engine: 'tfjs', reason: gradientFallback };
    },
    dispose() {
      imported?.dispose();
      if (!released) {
        released = true;
        void runner.release();
        void ortGradient?.then((engine) => engine?.release(), () => undefined);
      }
    },
  };
}
