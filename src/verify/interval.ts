/**
 * Interval bound propagation through a dense ReLU network in Float64: the pre-activation bounds of every layer
 * for an input box. Cheap and sound; the big-M constants of the MILP encoding and the starting point of every
 * tighter bound come from here.
 */
import type { InputBox, ReluNetwork } from './problem.js';

/** Element-wise bounds of one layer's pre-activation (or, for the last layer, of the outputs). */
export interface LayerBounds {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

/** Pre-activation bounds of every layer (index i = output of layers[i] before its ReLU). */
export function intervalBounds(network: ReluNetwork, box: InputBox): LayerBounds[] {
  const result: LayerBounds[] = [];
  let lowerIn = box.lower;
  let upperIn = box.upper;
  network.layers.forEach((layer, index) => {
    const lower = new Float64Array(layer.outSize);
    const upper = new Float64Array(layer.outSize);
    for (let row = 0; row < layer.outSize; row++) {
      let lo = layer.bias[row];
      let hi = lo;
      const offset = row * layer.inSize;
      for (let col = 0; col < layer.inSize; col++) {
        const w = layer.weights[offset + col];
        if (w >= 0) {
          lo += w * lowerIn[col];
          hi += w * upperIn[col];
        } else {
          lo += w * upperIn[col];
          hi += w * lowerIn[col];
        }
      }
      lower[row] = lo;
      upper[row] = hi;
    }
    result.push({ lower, upper });
    if (index < network.layers.length - 1) {
      lowerIn = lower.map((v) => Math.max(v, 0));
      upperIn = upper.map((v) => Math.max(v, 0));
    }
  });
  return result;
}

/** Exact forward pass in Float64 (the reference every counterexample is checked against before ONNX Runtime). */
export function forwardRelu(network: ReluNetwork, input: Float64Array): Float64Array {
  let activation = input;
  network.layers.forEach((layer, index) => {
    const out = new Float64Array(layer.outSize);
    for (let row = 0; row < layer.outSize; row++) {
      let sum = layer.bias[row];
      const offset = row * layer.inSize;
      for (let col = 0; col < layer.inSize; col++) sum += layer.weights[offset + col] * activation[col];
      out[row] = index < network.layers.length - 1 ? Math.max(sum, 0) : sum;
    }
    activation = out;
  });
  return activation;
}
