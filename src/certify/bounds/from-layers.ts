/**
 * A bound graph read straight from a TF.js LayersModel whose constants are (differentiable functions of) the
 * layers' own variables, so bounds computed on it can be differentiated w.r.t. the weights (certified training).
 * Same op semantics as the ONNX export (Rampart's NHWC input, a Transpose into NCHW before convolutions and
 * pooling, and back before Flatten), so its bounds equal those of `boundGraphFromModel` on the same weights.
 * Supported layers: Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout (identity), Activation and
 * ReLU, with activations linear/relu/sigmoid/tanh. Build it INSIDE the function being differentiated.
 *
 * @example
 * const graph = boundGraphFromLayers(layersModel); // nodes: Transpose, Conv, Relu, MaxPool, ..., Gemm
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tf, type Tensor } from '../../engine/tf.js';
import { RampartError } from '../../errors.js';
import type { OnnxAttributeValue } from '../../engine/onnx/graph.js';
import type { BoundNode, ConstantValue } from './define.js';
import { assembleBoundGraph, type BoundGraph } from './graph.js';

type Layout = 'nhwc' | 'nchw' | 'flat';

interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  trainableWeights: { read(): Tensor; originalName: string }[];
  weights: { read(): Tensor; originalName: string }[];
}

function weightOf(layer: LayerLike, role: 'kernel' | 'bias'): Tensor | undefined {
  const w = layer.weights.find((v) => v.originalName.endsWith(`/${role}`) || v.originalName === role);
  return w?.read();
}

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];
}

export function boundGraphFromLayers(model: LayersModel): BoundGraph {
  const nodes: BoundNode[] = [];
  const constants = new Map<string, ConstantValue>();
  const problems: string[] = [];
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  let current = 'input';
  let layout: Layout = inputShape.length === 3 ? 'nhwc' : 'flat';
  let counter = 0;
  const add = (opType: string, inputs: string[], attributes: Record<string, OnnxAttributeValue> = {}): void => {
    const out = `${opType.toLowerCase()}_${counter++}`;
    nodes.push({ name: out, opType, inputs, outputs: [out], attributes: new Map(Object.entries(attributes)) });
    current = out;
  };
  const constant = (name: string, t: Tensor): string => {
    constants.set(name, { tensor: t, values: [], dims: [...t.shape] });
    return name;
  };
  const toNchw = (): void => {
    if (layout === 'nhwc') add('Transpose', [current], { perm: [0, 3, 1, 2] });
    layout = 'nchw';
  };
  const activation = (name: unknown, where: string): void => {
    const a = String(name ?? 'linear');
    if (a === 'linear') return;
    if (a === 'relu') add('Relu', [current]);
    else if (a === 'sigmoid') add('Sigmoid', [current]);
    else if (a === 'tanh') add('Tanh', [current]);
    else problems.push(`${where}: activation '${a}' (supported: linear, relu, sigmoid, tanh)`);
  };
  for (const raw of model.layers) {
    const layer = raw as unknown as LayerLike;
    const cls = layer.getClassName();
    const config = layer.getConfig();
    const where = `layer '${layer.name}' (${cls})`;
    if (cls === 'InputLayer') continue;
    if (cls === 'Dense') {
      if (layout !== 'flat') {
        problems.push(`${where}: Dense on a non-flat input (add a Flatten before it)`);
        continue;
      }
      const kernel = weightOf(layer, 'kernel');
      const bias = weightOf(layer, 'bias');
      if (!kernel) {
        problems.push(`${where}: no kernel (build the model first)`);
        continue;
      }
      const k = constant(`${layer.name}/kernel`, tf.clone(kernel));
      const inputs = [current, k];
      if (bias) inputs.push(constant(`${layer.name}/bias`, tf.clone(bias)));
      add('Gemm', inputs);
      activation(config.activation, where);
    } else if (cls === 'Conv2D') {
      const kernel = weightOf(layer, 'kernel');
      const bias = weightOf(layer, 'bias');
      if (!kernel) {
        problems.push(`${where}: no kernel (build the model first)`);
        continue;
      }
      if (config.dataFormat === 'channelsFirst') problems.push(`${where}: channelsFirst data format`);
      if (pair(config.dilationRate ?? 1).some((d) => d !== 1)) problems.push(`${where}: dilation`);
      toNchw();
      const w = constant(`${layer.name}/kernel`, tf.transpose(kernel, [3, 2, 0, 1]));
      const inputs = [current, w];
      if (bias) inputs.push(constant(`${layer.name}/bias`, tf.clone(bias)));
      const attrs: Record<string, OnnxAttributeValue> = { kernel_shape: pair(config.kernelSize), strides: pair(config.strides ?? 1) };
      if (config.padding === 'same') attrs.auto_pad = 'SAME_UPPER';
      else if (config.padding !== 'valid') problems.push(`${where}: padding '${String(config.padding)}'`);
      add('Conv', inputs, attrs);
      activation(config.activation, where);
    } else if (cls === 'MaxPooling2D' || cls === 'AveragePooling2D') {
      if (config.padding !== 'valid') problems.push(`${where}: padding '${String(config.padding)}' (only 'valid')`);
      toNchw();
      const pool = pair(config.poolSize);
      add(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [current], { kernel_shape: pool, strides: pair(config.strides ?? config.poolSize) });
    } else if (cls === 'Flatten') {
      if ((layout as Layout) === 'nchw') add('Transpose', [current], { perm: [0, 2, 3, 1] });
      add('Flatten', [current], { axis: 1 });
      layout = 'flat';
    } else if (cls === 'Dropout') {
      // The identity at inference: no node, as in the ONNX export.
    } else if (cls === 'Activation') {
      activation(config.activation, where);
    } else if (cls === 'ReLU') {
      if (config.maxValue != null) problems.push(`${where}: maxValue`);
      add('Relu', [current]);
    } else {
      problems.push(`${where}: layer type not supported`);
    }
  }
  if ((layout as Layout) === 'nchw') add('Transpose', [current], { perm: [0, 2, 3, 1] });
  if (problems.length > 0) {
    for (const c of constants.values()) c.tensor.dispose();
    throw new RampartError(
      'MODEL_UNSUPPORTED',
      `Certified bounds cannot handle ${model.name}: ${problems.join('; ')}. Supported layers: Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, Activation/ReLU (linear, relu, sigmoid, tanh).`,
      { problems },
    );
  }
  return assembleBoundGraph({ source: model.name, inputName: 'input', inputDims: inputShape, outputName: current, nodes, constants });
}
