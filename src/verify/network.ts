/**
 * ONNX → {@link ReluNetwork}: extracts a dense ReLU chain in Float64 from an ONNX graph, as complete verifiers
 * consume it. Affine nodes (MatMul/Gemm with constant weights, Add/Sub/Mul/Div by constants, Flatten/Reshape/
 * Identity on a batch of one) are composed exactly into one affine map between ReLUs, so the ACAS Xu input
 * normalisation (`Sub input_AvgImg`) and the `Flatten` fold into the first layer. Anything else (convolutions,
 * branches, other activations) is refused with a message that names the node.
 *
 * @example
 * const { network, inputName, inputDims } = await loadReluNetwork('ACASXU_run2a_1_1_batch_2000.onnx');
 * network.layers.map((l) => l.outSize); // [50, 50, 50, 50, 50, 50, 5]
 */
import fs from 'node:fs';
import { RampartError } from '../errors.js';
import { parseOnnx, type OnnxGraph, type OnnxTensor } from '../engine/onnx/index.js';
import type { DenseLayer, ReluNetwork } from './problem.js';

export interface ExtractedNetwork {
  readonly network: ReluNetwork;
  /** Graph input name and its declared dims (with the batch dim), for an ONNX Runtime cross-check. */
  readonly inputName: string;
  readonly inputDims: readonly number[];
  readonly outputName: string;
  /** The model bytes (for ONNX Runtime). */
  readonly bytes: Uint8Array;
  readonly source: string;
}

export function loadReluNetwork(file: string): ExtractedNetwork {
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `ONNX file not found: ${file}. Check the --onnx path.`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  return extractReluNetwork(parseOnnx(bytes, file), bytes);
}

/** An affine map out = A·x + c from the network input (size n) to the current value (size m); A is m×n. */
interface Affine {
  size: number;
  a: Float64Array;
  c: Float64Array;
  /** a is the identity (so composing a matrix is a copy, not a product: 784² × 256 multiplications saved). */
  identity: boolean;
}

export function extractReluNetwork(graph: OnnxGraph, bytes: Uint8Array): ExtractedNetwork {
  const unsupported = (message: string): never => {
    throw new RampartError('MODEL_UNSUPPORTED', `${graph.source}: ${message} Complete verification supports dense ReLU chains (MatMul/Gemm, Add/Sub/Mul/Div by constants, Flatten/Reshape, Relu).`);
  };
  if (graph.inputs.length !== 1) unsupported(`the graph has ${graph.inputs.length} inputs; exactly one is needed.`);
  if (graph.outputs.length !== 1) unsupported(`the graph has ${graph.outputs.length} outputs; exactly one is needed.`);
  const input = graph.inputs[0];
  const dims = (input.dims ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  if (dims.length === 0) unsupported(`input ${input.name} declares no shape.`);
  const inputSize = dims.slice(1).reduce((a, b) => a * b, 1);

  const layers: DenseLayer[] = [];
  // `start` is the input of the current affine block: the network input or the last ReLU output.
  let startSize = inputSize;
  let current: Affine = identity(inputSize);
  let currentName = input.name;

  const constant = (name: string, node: string): OnnxTensor => {
    const t = graph.initializers.get(name);
    if (!t) return unsupported(`node ${node} uses "${name}", which is neither the running value nor a constant.`);
    return t;
  };
  const values = (t: OnnxTensor): Float64Array => Float64Array.from(t.data as ArrayLike<number>, Number);

  for (const node of graph.nodes) {
    const label = `${node.opType} node "${node.name || node.outputs[0]}"`;
    const others = node.inputs.filter((n) => n !== currentName && n !== '');
    if (!node.inputs.includes(currentName)) unsupported(`${label} does not consume the running value ${currentName}; branches are not supported.`);
    switch (node.opType) {
      case 'Flatten':
      case 'Identity':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
        // Row-major flattening of a batch of one keeps element order.
        break;
      case 'Relu': {
        layers.push(toLayer(current, startSize));
        startSize = current.size;
        current = identity(current.size);
        break;
      }
      case 'Sub':
      case 'Add':
      case 'Mul':
      case 'Div': {
        if (others.length !== 1) unsupported(`${label} must combine the running value with one constant.`);
        const k = values(constant(others[0], label));
        if (k.length !== 1 && k.length !== current.size) unsupported(`${label}: constant of ${k.length} values does not broadcast over ${current.size}.`);
        const at = (i: number) => (k.length === 1 ? k[0] : k[i]);
        const runningFirst = node.inputs[0] === currentName;
        for (let i = 0; i < current.size; i++) {
          const v = at(i);
          if (node.opType === 'Add') current.c[i] += v;
          else if (node.opType === 'Sub') {
            if (runningFirst) current.c[i] -= v;
            else scaleRow(current, i, -1, v);
          } else if (node.opType === 'Mul') scaleRow(current, i, v, 0);
          else {
            if (!runningFirst) unsupported(`${label} divides a constant by the running value; that is not affine.`);
            scaleRow(current, i, 1 / v, 0);
          }
        }
        break;
      }
      case 'MatMul': {
        if (node.inputs[0] !== currentName) unsupported(`${label}: the constant must be the right operand.`);
        const w = constant(node.inputs[1], label);
        if (w.dims.length !== 2 || w.dims[0] !== current.size) unsupported(`${label}: weight dims [${w.dims}] do not fit ${current.size} inputs.`);
        current = applyMatrix(current, values(w), w.dims[1], false, undefined, 1, 1);
        break;
      }
      case 'Gemm': {
        const alpha = numberAttr(node.attributes.get('alpha'), 1);
        const beta = numberAttr(node.attributes.get('beta'), 1);
        if (numberAttr(node.attributes.get('transA'), 0) !== 0 || node.inputs[0] !== currentName) unsupported(`${label}: transA and a constant left operand are not supported.`);
        const transB = numberAttr(node.attributes.get('transB'), 0) !== 0;
        const w = constant(node.inputs[1], label);
        const outSize = transB ? w.dims[0] : w.dims[1];
        const inSize = transB ? w.dims[1] : w.dims[0];
        if (w.dims.length !== 2 || inSize !== current.size) unsupported(`${label}: weight dims [${w.dims}] do not fit ${current.size} inputs.`);
        const bias = node.inputs[2] ? values(constant(node.inputs[2], label)) : undefined;
        if (bias && bias.length !== 1 && bias.length !== outSize) unsupported(`${label}: bias of ${bias.length} values for ${outSize} outputs.`);
        current = applyMatrix(current, values(w), outSize, transB, bias, alpha, beta);
        break;
      }
      default:
        unsupported(`${label} is not supported.`);
    }
    currentName = node.outputs[0];
  }
  if (currentName !== graph.outputs[0].name) unsupported(`the graph output ${graph.outputs[0].name} is not the end of the chain.`);
  layers.push(toLayer(current, startSize));
  return {
    network: { inputSize, outputSize: current.size, layers },
    inputName: input.name,
    inputDims: dims,
    outputName: graph.outputs[0].name,
    bytes,
    source: graph.source,
  };
}

function identity(n: number): Affine {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  return { size: n, a, c: new Float64Array(n), identity: true };
}

/** Row i ← s·row i, c_i ← s·c_i + add. The number of columns is the block's input size, kept in a.length / size. */
function scaleRow(affine: Affine, i: number, s: number, add: number): void {
  const cols = affine.a.length / affine.size;
  if (s !== 1) affine.identity = false;
  for (let j = 0; j < cols; j++) affine.a[i * cols + j] *= s;
  affine.c[i] = affine.c[i] * s + add;
}

/** new = alpha·(W applied to current) + beta·bias, W stored [in,out] (MatMul) or [out,in] (transB). */
function applyMatrix(current: Affine, w: Float64Array, outSize: number, transposed: boolean, bias: Float64Array | undefined, alpha: number, beta: number): Affine {
  const inSize = current.size;
  const cols = current.a.length / inSize;
  const a = new Float64Array(outSize * cols);
  const c = new Float64Array(outSize);
  if (current.identity) {
    for (let o = 0; o < outSize; o++) {
      let sum = 0;
      for (let k = 0; k < inSize; k++) {
        const wk = alpha * (transposed ? w[o * inSize + k] : w[k * outSize + o]);
        a[o * cols + k] = wk;
        sum += wk * current.c[k];
      }
      c[o] = sum + (bias ? beta * (bias.length === 1 ? bias[0] : bias[o]) : 0);
    }
    return { size: outSize, a, c, identity: false };
  }
  for (let o = 0; o < outSize; o++) {
    let sum = 0;
    for (let k = 0; k < inSize; k++) {
      const wk = alpha * (transposed ? w[o * inSize + k] : w[k * outSize + o]);
      if (wk === 0) continue;
      sum += wk * current.c[k];
      const rowK = k * cols;
      const rowO = o * cols;
      for (let j = 0; j < cols; j++) a[rowO + j] += wk * current.a[rowK + j];
    }
    c[o] = sum + (bias ? beta * (bias.length === 1 ? bias[0] : bias[o]) : 0);
  }
  return { size: outSize, a, c, identity: false };
}

function toLayer(affine: Affine, inSize: number): DenseLayer {
  return { inSize, outSize: affine.size, weights: affine.a, bias: affine.c };
}

function numberAttr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
