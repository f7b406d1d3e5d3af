/**
 * Export a TF.js layers model (a Sequential model or a functional model that is a single linear chain) to an
 * ONNX ModelProto, so that models trained or hardened in Rampart can be served by ONNX Runtime, checked by
 * external verifiers (VNN-COMP tools take ONNX) and re-imported by Rampart's own ONNX path.
 *
 * Why a hand-written exporter: the chain of layers Rampart builds is small (Dense, Conv2D, pooling, batch
 * norm, activations), and writing the protobuf directly keeps the output exact and dependency-free.
 *
 * Layout. Rampart feeds images NHWC, ONNX convolutions are NCHW. The exported graph keeps Rampart's contract:
 * its input is NHWC `[N, H, W, C]` float32 with a symbolic batch dimension `N`. The exporter tracks whether the
 * current value is in TF.js layout or transposed to NCHW, inserts one Transpose to NCHW before the first
 * convolution or pooling, and transposes back to NHWC before anything whose meaning depends on TF.js axis order
 * (Flatten, Reshape, Dense, Softmax), so a Dense layer after Flatten sees features in exactly TF.js order.
 *
 * Output. Rampart models output logits: when the last layer ends in a softmax it is left out by default
 * (`stripSoftmax: true`), and the model's metadata records `rampart.output=logits`,
 * `rampart.softmaxStripped=true|false` and `rampart.inputLayout=NHWC|NF`.
 *
 * Unsupported layers (recurrent, transposed convolution, merges, ...) are all collected and reported together in
 * one `RampartError('MODEL_UNSUPPORTED')`.
 *
 * @example
 * ```ts
 * const bytes = exportToOnnx(model);                      // Uint8Array, opset 13, IR version 7
 * await fs.writeFile('model.onnx', bytes);
 * const session = await ort.InferenceSession.create(bytes); // input 'input' [N,28,28,1] -> 'logits' [N,10]
 * ```
 */
import { z } from 'zod';
import { LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { RampartError } from '../errors.js';
import { onnxTypes, OnnxAttributeType, OnnxDataType } from './onnx/proto.js';

type Layer = SymbolicTensor['sourceLayer'];
type Dim = number | null;

/** Options for {@link exportToOnnx}. */
export const exportOnnxOptionsSchema = z
  .object({
    /** ONNX opset of the default domain; 13 (IR version 7) up to 18 (IR version 8). */
    opset: z.number().int().min(13).max(18).default(13),
    /** `producer_name` written into the model. */
    producer: z.string().default('rampart'),
    /** Name of the graph input. */
    inputName: z.string().min(1).default('input'),
    /** Name of the graph output. */
    outputName: z.string().min(1).default('logits'),
    /** Leave out a softmax that ends the model so the graph outputs logits (Rampart's model contract). */
    stripSoftmax: z.boolean().default(true),
  })
  .strict()
  .refine((o) => o.inputName !== o.outputName, {
    message: 'inputName and outputName must differ',
    path: ['outputName'],
  });

export type ExportOnnxOptions = z.input<typeof exportOnnxOptionsSchema>;
type ResolvedOptions = z.output<typeof exportOnnxOptionsSchema>;

/** Layer class names the exporter understands (used in error messages and tests). */
export const EXPORTABLE_LAYERS = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'DepthwiseConv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Flatten',
  'Reshape',
  'BatchNormalization',
  'Dropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
] as const;

/** Layers that are the identity at inference time. */
const INFERENCE_IDENTITY = new Set([
  'Dropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

/** Activation names (as TF.js serialises them) the exporter can write. */
const EXPORTABLE_ACTIVATIONS = new Set([
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'logSoftmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
]);

/** TF.js (and Keras) SELU constants. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

// ---------------------------------------------------------------------------------------------------------
// Graph builder: plain objects in the shape `onnxTypes.ModelProto.fromObject` accepts.

interface AttributeObject {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
}

interface NodeObject {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeObject[];
}

interface TensorObject {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

type AttrValue = number | number[] | string | { float: number };

function attribute(name: string, value: AttrValue): AttributeObject {
  if (typeof value === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: OnnxAttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  return { name, type: OnnxAttributeType.INT, i: value };
}

class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  private readonly used = new Set<string>();

  constructor(reserved: string[]) {
    for (const name of reserved) this.used.add(name);
  }

  /** A fresh value or node name derived from `base`. */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Appends a node with one output and returns the output's name. */
  node(opType: string, inputs: string[], scope: string, attrs: Record<string, AttrValue> = {}): string {
    const output = this.unique(`${scope}/${opType}`);
    this.nodes.push({
      name: output,
      opType,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  float(name: string, dims: number[], values: ArrayLike<number>): string {
    const unique = this.unique(name);
    const data = Float32Array.from(values);
    this.initializers.push({
      name: unique,
      dims,
      dataType: OnnxDataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return unique;
  }

  int64(name: string, values: number[]): string {
    const unique = this.unique(name);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name: unique,
      dims: [values.length],
      dataType: OnnxDataType.INT64,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return unique;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Values flowing through the chain.

/** The current tensor: its ONNX name, its TF.js shape, and whether the ONNX tensor is the NCHW transpose. */
interface Value {
  name: string;
  /** Shape as TF.js sees it (batch first, NHWC for images). */
  shape: Dim[];
  layout: 'tf' | 'nchw';
}

function toTf(g: GraphBuilder, v: Value, scope: string): Value {
  if (v.layout === 'tf') return v;
  return { ...v, name: g.node('Transpose', [v.name], scope, { perm: [0, 2, 3, 1] }), layout: 'tf' };
}

function toNchw(g: GraphBuilder, v: Value, scope: string): Value {
  if (v.layout === 'nchw') return v;
  return { ...v, name: g.node('Transpose', [v.name], scope, { perm: [0, 3, 1, 2] }), layout: 'nchw' };
}

// ---------------------------------------------------------------------------------------------------------
// Reading layers.

interface ChainEntry {
  layer: Layer;
  inShape: Dim[];
  outShape: Dim[];
}

function singleShape(t: SymbolicTensor): Dim[] {
  return t.shape.map((d) => (d == null || d < 0 ? null : d));
}

/** Walks a model from its output back to its input; throws unless every step has exactly one input. */
function linearChain(model: LayersModel): ChainEntry[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `exportToOnnx: the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input, single-output models can be exported. Export each branch as its own model.`,
      { inputs: model.inputs.length, outputs: model.outputs.length },
    );
  }
  const reversed: ChainEntry[] = [];
  let t: SymbolicTensor = model.outputs[0];
  for (;;) {
    const layer = t.sourceLayer;
    if (layer.getClassName() === 'InputLayer') break;
    const node = layer.inboundNodes[t.nodeIndex];
    if (!node || node.inputTensors.length !== 1 || node.outputTensors.length !== 1) {
      throw new RampartError(
        'MODEL_UNSUPPORTED',
        `exportToOnnx: layer '${layer.name}' (${layer.getClassName()}) has ${node?.inputTensors.length ?? 0} inputs; only a linear chain of single-input layers can be exported (no skip connections or merges). Rebuild the model as tf.sequential or export it with a general converter.`,
        { layer: layer.name, className: layer.getClassName() },
      );
    }
    const entry = { layer, inShape: singleShape(node.inputTensors[0]), outShape: singleShape(node.outputTensors[0]) };
    if (layer instanceof LayersModel) reversed.push(...linearChain(layer).reverse());
    else reversed.push(entry);
    t = node.inputTensors[0];
  }
  if (t !== model.inputs[0]) {
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `exportToOnnx: the output of the model does not depend on its declared input through a single chain of layers.`,
      {},
    );
  }
  return reversed.reverse();
}

interface LayerConfig {
  [key: string]: unknown;
}

function configOf(layer: Layer): LayerConfig {
  return layer.getConfig() as LayerConfig;
}

/** Weights of a layer by role (`kernel`, `bias`, `gamma`, ...); the tensors belong to the model, never dispose. */
function weightsOf(layer: Layer): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const w of layer.weights) {
    const role = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
    const value = w.read();
    out.set(role, { shape: value.shape.slice(), data: value.dataSync() as Float32Array });
  }
  return out;
}

function requireWeight(
  weights: Map<string, { shape: number[]; data: Float32Array }>,
  role: string,
  layer: Layer,
): { shape: number[]; data: Float32Array } {
  const w = weights.get(role);
  if (!w) {
    throw new RampartError(
      'MODEL_CORRUPT',
      `exportToOnnx: layer '${layer.name}' (${layer.getClassName()}) has no '${role}' weight; build the model (call it once or give the first layer an inputShape) before exporting.`,
      { layer: layer.name, role },
    );
  }
  return w;
}

function activationOf(layer: Layer): string {
  const cls = layer.getClassName();
  const config = configOf(layer);
  if (cls === 'Softmax') return 'softmax';
  const a = config.activation;
  return typeof a === 'string' ? a : 'linear';
}

/** Problems found in one layer, or an empty list when it can be exported. */
function problemsOf(entry: ChainEntry): string[] {
  const { layer } = entry;
  const cls = layer.getClassName();
  const config = configOf(layer);
  if (!(EXPORTABLE_LAYERS as readonly string[]).includes(cls)) return ['layer type not supported'];
  const problems: string[] = [];
  if ('activation' in config && typeof config.activation === 'string' && !EXPORTABLE_ACTIVATIONS.has(config.activation)) {
    problems.push(`activation '${config.activation}' not supported`);
  }
  if (typeof config.dataFormat === 'string' && config.dataFormat !== 'channelsLast') {
    problems.push(`dataFormat '${config.dataFormat}' not supported (use channelsLast)`);
  }
  if (cls === 'BatchNormalization') {
    const axis = config.axis;
    const rank = entry.inShape.length;
    if (axis !== -1 && axis !== rank - 1) problems.push(`axis ${JSON.stringify(axis)} not supported (use -1)`);
  }
  if (cls === 'Softmax') {
    const axis = config.axis;
    const rank = entry.inShape.length;
    if (axis !== -1 && axis !== rank - 1 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === rank - 1))) {
      problems.push(`axis ${JSON.stringify(axis)} not supported (use -1)`);
    }
  }
  const needsImage = ['Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D'];
  if (needsImage.includes(cls) && entry.inShape.length !== 4) problems.push(`input rank ${entry.inShape.length} (expected 4)`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Emitting layers.

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback), Number(value[1] ?? value[0] ?? fallback)];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

/**
 * ONNX pads `[top, left, bottom, right]` for TF's 'same' padding: total = max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0),
 * with the odd pixel at the end. Returns undefined when the spatial size is unknown (then SAME_UPPER is used).
 */
function samePads(inHW: [Dim, Dim], kernel: [number, number], strides: [number, number], dilations: [number, number]): number[] | undefined {
  const begin: number[] = [];
  const end: number[] = [];
  for (let a = 0; a < 2; a++) {
    const size = inHW[a];
    if (size == null) return undefined;
    const effective = (kernel[a] - 1) * dilations[a] + 1;
    const out = Math.ceil(size / strides[a]);
    const total = Math.max((out - 1) * strides[a] + effective - size, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

function spatialAttrs(
  config: LayerConfig,
  inShape: Dim[],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): Record<string, AttrValue> {
  if (config.padding === 'same') {
    const pads = samePads([inShape[1], inShape[2]], kernel, strides, dilations);
    return pads ? { pads } : { auto_pad: 'SAME_UPPER' };
  }
  if (config.padding === 'valid' || config.padding === undefined) return { pads: [0, 0, 0, 0] };
  throw new RampartError(
    'MODEL_UNSUPPORTED',
    `exportToOnnx: padding '${String(config.padding)}' is not supported; use 'same' or 'valid'.`,
    { padding: config.padding },
  );
}

/** Writes an activation; softmax-like ones act on the last TF.js axis, so they switch back to TF layout first. */
function emitActivation(g: GraphBuilder, v: Value, name: string, scope: string): Value {
  const op = (opType: string, attrs: Record<string, AttrValue> = {}): Value => ({ ...v, name: g.node(opType, [v.name], scope, attrs) });
  switch (name) {
    case 'linear':
      return v;
    case 'relu':
      return op('Relu');
    case 'relu6':
      return clip(g, v, 0, 6, scope);
    case 'sigmoid':
      return op('Sigmoid');
    case 'hardSigmoid':
      return op('HardSigmoid', { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'tanh':
      return op('Tanh');
    case 'elu':
      return op('Elu', { alpha: { float: 1 } });
    case 'selu':
      return op('Selu', { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_GAMMA } });
    case 'softplus':
      return op('Softplus');
    case 'softsign':
      return op('Softsign');
    case 'softmax':
    case 'logSoftmax': {
      const t = toTf(g, v, scope);
      return { ...t, name: g.node(name === 'softmax' ? 'Softmax' : 'LogSoftmax', [t.name], scope, { axis: -1 }) };
    }
    case 'swish': {
      const s = g.node('Sigmoid', [v.name], scope);
      return { ...v, name: g.node('Mul', [v.name, s], scope) };
    }
    case 'mish': {
      const sp = g.node('Softplus', [v.name], scope);
      const th = g.node('Tanh', [sp], scope);
      return { ...v, name: g.node('Mul', [v.name, th], scope) };
    }
    case 'gelu': {
      // x * 0.5 * (1 + erf(x / sqrt 2)), as TF.js computes it.
      const scaled = g.node('Mul', [v.name, g.float(`${scope}/inv_sqrt2`, [], [Math.SQRT1_2])], scope);
      const erf = g.node('Erf', [scaled], scope);
      const onePlus = g.node('Add', [erf, g.float(`${scope}/one`, [], [1])], scope);
      const half = g.node('Mul', [onePlus, g.float(`${scope}/half`, [], [0.5])], scope);
      return { ...v, name: g.node('Mul', [v.name, half], scope) };
    }
    default:
      throw new RampartError('INTERNAL', `exportToOnnx: activation '${name}' passed validation but has no writer.`, { name });
  }
}

function clip(g: GraphBuilder, v: Value, min: number, max: number, scope: string): Value {
  const lo = g.float(`${scope}/clip_min`, [], [min]);
  const hi = g.float(`${scope}/clip_max`, [], [max]);
  return { ...v, name: g.node('Clip', [v.name, lo, hi], scope) };
}

function emitDense(g: GraphBuilder, v: Value, layer: Layer): Value {
  const scope = layer.name;
  const t = toTf(g, v, scope);
  const weights = weightsOf(layer);
  const kernel = requireWeight(weights, 'kernel', layer);
  const bias = weights.get('bias');
  const units = kernel.shape[1];
  const w = g.float(`${scope}/kernel`, kernel.shape, kernel.data);
  const b = bias ? g.float(`${scope}/bias`, [units], bias.data) : undefined;
  const shape = [...t.shape.slice(0, -1), units];
  if (t.shape.length === 2) {
    const name = g.node('Gemm', b ? [t.name, w, b] : [t.name, w], scope);
    return { name, shape, layout: 'tf' };
  }
  // Dense on rank > 2 applies to the last axis; MatMul broadcasts over the leading axes.
  const product = g.node('MatMul', [t.name, w], scope);
  return { name: b ? g.node('Add', [product, b], scope) : product, shape, layout: 'tf' };
}

/** HWIO → OIHW (Conv2D), or H W C M → (C·M) 1 H W (DepthwiseConv2D, output channel c·M + m as in TF). */
function convWeight(kernel: { shape: number[]; data: Float32Array }, depthwise: boolean): { dims: number[]; data: Float32Array } {
  const [kh, kw, ci, co] = kernel.shape;
  const src = kernel.data;
  const out = new Float32Array(src.length);
  if (!depthwise) {
    for (let h = 0; h < kh; h++)
      for (let w = 0; w < kw; w++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + w] = src[((h * kw + w) * ci + i) * co + o];
    return { dims: [co, ci, kh, kw], data: out };
  }
  // co is the depth multiplier here.
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let c = 0; c < ci; c++)
        for (let m = 0; m < co; m++) out[((c * co + m) * kh + h) * kw + w] = src[((h * kw + w) * ci + c) * co + m];
  return { dims: [ci * co, 1, kh, kw], data: out };
}

function emitConv(g: GraphBuilder, v: Value, entry: ChainEntry, depthwise: boolean): Value {
  const { layer } = entry;
  const scope = layer.name;
  const config = configOf(layer);
  const t = toNchw(g, v, scope);
  const weights = weightsOf(layer);
  const kernel = requireWeight(weights, depthwise ? 'depthwise_kernel' : 'kernel', layer);
  const bias = weights.get('bias');
  const { dims, data } = convWeight(kernel, depthwise);
  const kernelHW: [number, number] = [dims[2], dims[3]];
  const strides = pair(config.strides, 1);
  const dilations = pair(config.dilationRate, 1);
  const inputs = [t.name, g.float(`${scope}/kernel`, dims, data)];
  if (bias) inputs.push(g.float(`${scope}/bias`, [dims[0]], bias.data));
  const attrs: Record<string, AttrValue> = {
    kernel_shape: kernelHW,
    strides,
    dilations,
    group: depthwise ? kernel.shape[2] : 1,
    ...spatialAttrs(config, entry.inShape, kernelHW, strides, dilations),
  };
  return { name: g.node('Conv', inputs, scope, attrs), shape: entry.outShape, layout: 'nchw' };
}

function emitPool(g: GraphBuilder, v: Value, entry: ChainEntry, kind: 'MaxPool' | 'AveragePool'): Value {
  const { layer } = entry;
  const config = configOf(layer);
  const t = toNchw(g, v, layer.name);
  const kernel = pair(config.poolSize, 2);
  const strides = config.strides == null ? kernel : pair(config.strides, 1);
  const attrs: Record<string, AttrValue> = {
    kernel_shape: kernel,
    strides,
    ...spatialAttrs(config, entry.inShape, kernel, strides, [1, 1]),
  };
  // TF averages only over real pixels at the border ('same'), hence count_include_pad = 0.
  if (kind === 'AveragePool') attrs.count_include_pad = 0;
  return { name: g.node(kind, [t.name], layer.name, attrs), shape: entry.outShape, layout: 'nchw' };
}

function emitGlobalPool(g: GraphBuilder, v: Value, entry: ChainEntry, kind: 'GlobalAveragePool' | 'GlobalMaxPool'): Value {
  const scope = entry.layer.name;
  const t = toNchw(g, v, scope);
  const pooled = g.node(kind, [t.name], scope);
  return { name: g.node('Flatten', [pooled], scope, { axis: 1 }), shape: entry.outShape, layout: 'tf' };
}

function emitBatchNorm(g: GraphBuilder, v: Value, entry: ChainEntry): Value {
  const { layer } = entry;
  const scope = layer.name;
  const config = configOf(layer);
  const weights = weightsOf(layer);
  const mean = requireWeight(weights, 'moving_mean', layer);
  const variance = requireWeight(weights, 'moving_variance', layer);
  const channels = mean.data.length;
  const gamma = weights.get('gamma')?.data ?? new Float32Array(channels).fill(1);
  const beta = weights.get('beta')?.data ?? new Float32Array(channels);
  const epsilon = typeof config.epsilon === 'number' ? config.epsilon : 1e-3;
  const rank = entry.inShape.length;
  if (rank === 2 || rank === 4) {
    const t = rank === 4 ? toNchw(g, v, scope) : toTf(g, v, scope);
    const inputs = [
      t.name,
      g.float(`${scope}/gamma`, [channels], gamma),
      g.float(`${scope}/beta`, [channels], beta),
      g.float(`${scope}/moving_mean`, [channels], mean.data),
      g.float(`${scope}/moving_variance`, [channels], variance.data),
    ];
    return { ...t, name: g.node('BatchNormalization', inputs, scope, { epsilon: { float: epsilon } }) };
  }
  // Other ranks: fold into y = x * s + (beta - mean * s) with s = gamma / sqrt(var + eps), broadcast on the last axis.
  const t = toTf(g, v, scope);
  const s = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    s[c] = gamma[c] / Math.sqrt(variance.data[c] + epsilon);
    shift[c] = beta[c] - mean.data[c] * s[c];
  }
  const scaled = g.node('Mul', [t.name, g.float(`${scope}/scale`, [channels], s)], scope);
  return { ...t, name: g.node('Add', [scaled, g.float(`${scope}/shift`, [channels], shift)], scope) };
}

function emitLayer(g: GraphBuilder, v: Value, entry: ChainEntry, skipActivation: boolean): Value {
  const { layer } = entry;
  const cls = layer.getClassName();
  const config = configOf(layer);
  const scope = layer.name;
  const fused = (out: Value): Value => (skipActivation ? out : emitActivation(g, out, activationOf(layer), scope));
  switch (cls) {
    case 'InputLayer':
      return v;
    case 'Dense':
      return fused(emitDense(g, v, layer));
    case 'Conv2D':
      return fused(emitConv(g, v, entry, false));
    case 'DepthwiseConv2D':
      return fused(emitConv(g, v, entry, true));
    case 'MaxPooling2D':
      return emitPool(g, v, entry, 'MaxPool');
    case 'AveragePooling2D':
      return emitPool(g, v, entry, 'AveragePool');
    case 'GlobalAveragePooling2D':
      return emitGlobalPool(g, v, entry, 'GlobalAveragePool');
    case 'GlobalMaxPooling2D':
      return emitGlobalPool(g, v, entry, 'GlobalMaxPool');
    case 'ZeroPadding2D': {
      const t = toNchw(g, v, scope);
      const p = config.padding as [[number, number], [number, number]];
      const pads = g.int64(`${scope}/pads`, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]);
      return { name: g.node('Pad', [t.name, pads], scope), shape: entry.outShape, layout: 'nchw' };
    }
    case 'Flatten': {
      const t = toTf(g, v, scope);
      return { name: g.node('Flatten', [t.name], scope, { axis: 1 }), shape: entry.outShape, layout: 'tf' };
    }
    case 'Reshape': {
      const t = toTf(g, v, scope);
      const target = (config.targetShape as number[]).map(Number);
      const shape = g.int64(`${scope}/shape`, [0, ...target]); // 0 keeps the batch dimension
      return { name: g.node('Reshape', [t.name, shape], scope), shape: entry.outShape, layout: 'tf' };
    }
    case 'BatchNormalization':
      return emitBatchNorm(g, v, entry);
    case 'Activation':
    case 'Softmax':
      return skipActivation ? v : emitActivation(g, v, activationOf(layer), scope);
    case 'ReLU': {
      if (skipActivation) return v;
      const max = config.maxValue;
      return typeof max === 'number' ? clip(g, v, 0, max, scope) : { ...v, name: g.node('Relu', [v.name], scope) };
    }
    case 'LeakyReLU':
      return { ...v, name: g.node('LeakyRelu', [v.name], scope, { alpha: { float: Number(config.alpha ?? 0.3) } }) };
    case 'ELU':
      return { ...v, name: g.node('Elu', [v.name], scope, { alpha: { float: Number(config.alpha ?? 1) } }) };
    default:
      if (INFERENCE_IDENTITY.has(cls)) return v;
      throw new RampartError('INTERNAL', `exportToOnnx: layer class ${cls} passed validation but has no writer.`, { cls });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Public entry point.

function resolveOptions(options: ExportOnnxOptions | undefined): ResolvedOptions {
  const parsed = exportOnnxOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const text = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new RampartError('BAD_OPTION', `exportToOnnx: invalid options (${text}).`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

function valueInfo(name: string, shape: Dim[]): object {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: {
          dim: shape.map((d, i) => (i === 0 ? { dimParam: 'N' } : d == null ? { dimParam: `d${i}` } : { dimValue: d })),
        },
      },
    },
  };
}

/**
 * Serialises a TF.js Sequential model (or a functional model that is one linear chain of layers) to ONNX bytes.
 * The graph takes NHWC `[N, H, W, C]` (or `[N, F]`) float32 and outputs logits; see the file header for layout
 * and softmax handling. Throws `MODEL_UNSUPPORTED` listing every layer that cannot be exported.
 */
export function exportToOnnx(model: LayersModel, options?: ExportOnnxOptions): Uint8Array {
  const opts = resolveOptions(options);
  if (!(model instanceof LayersModel)) {
    throw new RampartError(
      'BAD_OPTION',
      'exportToOnnx: expected a TF.js LayersModel (tf.sequential or tf.model); load graph models through the ONNX or tfjs-graph paths instead.',
      {},
    );
  }
  const chain = linearChain(model);

  const unsupported = chain
    .map((entry) => ({ entry, problems: problemsOf(entry) }))
    .filter((u) => u.problems.length > 0);
  if (unsupported.length > 0) {
    const classes = [...new Set(unsupported.map((u) => u.entry.layer.getClassName()))];
    const where = unsupported
      .map((u) => `'${u.entry.layer.name}' (${u.entry.layer.getClassName()}: ${u.problems.join(', ')})`)
      .join('; ');
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `exportToOnnx: cannot export layer type(s) ${classes.join(', ')}: ${where}. Supported layers: ${EXPORTABLE_LAYERS.join(', ')}; replace or remove the others before exporting.`,
      {
        unsupported: classes,
        layers: unsupported.map((u) => ({ name: u.entry.layer.name, className: u.entry.layer.getClassName(), problems: u.problems })),
      },
    );
  }

  // The last layer that does something at inference time; a softmax there is what `stripSoftmax` removes.
  let last = chain.length - 1;
  while (last >= 0 && INFERENCE_IDENTITY.has(chain[last].layer.getClassName())) last--;
  const endsInSoftmax = last >= 0 && activationOf(chain[last].layer) === 'softmax';
  const strip = endsInSoftmax && opts.stripSoftmax;

  const inputShape = singleShape(model.inputs[0]);
  const g = new GraphBuilder([opts.inputName, opts.outputName]);
  let v: Value = { name: opts.inputName, shape: inputShape, layout: 'tf' };
  chain.forEach((entry, i) => {
    v = emitLayer(g, v, entry, strip && i === last);
  });
  v = toTf(g, v, 'output');

  // Name the final value `outputName`: rename the producing node's output, or add an Identity if none.
  const producer = g.nodes.find((n) => n.output[0] === v.name);
  if (producer && v.name !== opts.inputName) producer.output[0] = opts.outputName;
  else g.nodes.push({ name: 'output/Identity', opType: 'Identity', input: [v.name], output: [opts.outputName], attribute: [] });

  const metadata: Record<string, string> = {
    'rampart.output': endsInSoftmax && !strip ? 'probabilities' : 'logits',
    'rampart.softmaxStripped': String(strip),
    'rampart.inputLayout': inputShape.length === 4 ? 'NHWC' : inputShape.length === 2 ? 'NF' : `rank${inputShape.length}`,
    'rampart.sourceFormat': 'tfjs-layers',
  };

  const proto = onnxTypes.ModelProto.fromObject({
    irVersion: opts.opset === 13 ? 7 : 8,
    opsetImport: [{ domain: '', version: opts.opset }],
    producerName: opts.producer,
    producerVersion: '0.1.0',
    modelVersion: 1,
    docString: `Exported by Rampart from TF.js model '${model.name}'.`,
    graph: {
      name: model.name || 'rampart',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(opts.inputName, inputShape)],
      output: [valueInfo(opts.outputName, v.shape)],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnxTypes.ModelProto.encode(proto).finish();
}
