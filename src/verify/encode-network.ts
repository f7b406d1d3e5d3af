/**
 * Linear encodings of a dense ReLU network on an input box, shared by the LP bound tightening (`lp.ts`) and the
 * MILP engine (`milp.ts`). Per hidden neuron with pre-activation bounds [l, u]:
 * - stable inactive (u ≤ 0): the activation is the constant 0;
 * - stable active (l ≥ 0): the activation is the pre-activation variable itself;
 * - unstable, `exact` (big-M, Tjeng, Xiao & Tedrake): a ≥ 0, a ≥ z, a ≤ z − l·(1 − d), a ≤ u·d, d ∈ {0, 1};
 * - unstable, `triangle` (Ehlers's Planet relaxation): a ≥ 0, a ≥ z, a ≤ u·(z − l)/(u − l);
 * - `pattern`: a fixed activation pattern (active ⇒ z ≥ 0 and a = z; inactive ⇒ z ≤ 0 and a = 0), an LP that is
 *   exact on one linear region — used to repair a MILP point that the solver's tolerances made inexact.
 *
 * Papers: Tjeng, Xiao & Tedrake, "Evaluating Robustness of Neural Networks with Mixed Integer Programming", ICLR
 * 2019, https://arxiv.org/abs/1711.07356; Ehlers, "Formal Verification of Piece-Wise Linear Feed-Forward Neural
 * Networks", ATVA 2017, https://arxiv.org/abs/1705.01320.
 *
 * Assumption: `bounds` are sound pre-activation bounds (intervalBounds or tighter). They are widened by
 * `BOUND_SLACK` before use so that Float64 rounding in their computation cannot cut off a real point.
 *
 * @example
 * const enc = encodeNetwork(net, box, intervalBounds(net, box), { relaxation: 'exact' });
 * enc.model.setObjective([{ variable: enc.outputs[0], coefficient: 1 }], 'minimize'); // min Y_0 over the box
 */
import type { InputBox, ReluNetwork } from './problem.js';
import type { LayerBounds } from './interval.js';
import { LinearModel, type LinearTerm } from './highs.js';

/** Relative widening of every bound before it enters an encoding: |b| → |b| + 1e-9·(1 + |b|). */
export const BOUND_SLACK = 1e-9;

export function widenLower(value: number): number {
  return value - BOUND_SLACK * (1 + Math.abs(value));
}
export function widenUpper(value: number): number {
  return value + BOUND_SLACK * (1 + Math.abs(value));
}

export type ReluEncoding = 'exact' | 'triangle' | 'pattern';

export interface EncodeOptions {
  readonly relaxation: ReluEncoding;
  /** Encode layers 0..lastLayer only (default: all); lastLayer's pre-activations are the encoding's outputs. */
  readonly lastLayer?: number;
  /** For 'pattern': activePattern[layer][neuron] = whether that hidden neuron is active. */
  readonly activePattern?: readonly (readonly boolean[])[];
}

export interface NetworkEncoding {
  readonly model: LinearModel;
  /** Variable index of each input coordinate. */
  readonly inputs: readonly number[];
  /** Variable index of each pre-activation, per encoded layer. */
  readonly preActivations: readonly (readonly number[])[];
  /** Binary variable of each unstable neuron (exact encoding), else -1. */
  readonly binaries: readonly (readonly number[])[];
  /** Pre-activations of the last encoded layer (the network outputs when all layers are encoded). */
  readonly outputs: readonly number[];
}

/** Builds the constraints; the caller sets the objective and any extra rows. */
export function encodeNetwork(network: ReluNetwork, box: InputBox, bounds: readonly LayerBounds[], options: EncodeOptions): NetworkEncoding {
  const model = new LinearModel();
  const lastLayer = options.lastLayer ?? network.layers.length - 1;
  const inputs: number[] = [];
  for (let i = 0; i < network.inputSize; i++) inputs.push(model.addVariable(box.lower[i], box.upper[i]));
  // Activation of the previous layer: a variable index, or -1 for the constant 0.
  let activations: number[] = inputs;
  const preActivations: number[][] = [];
  const binaries: number[][] = [];
  for (let layerIndex = 0; layerIndex <= lastLayer; layerIndex++) {
    const layer = network.layers[layerIndex];
    const layerBounds = bounds[layerIndex];
    const isHidden = layerIndex < network.layers.length - 1;
    const pre: number[] = [];
    const layerBinaries: number[] = [];
    const next: number[] = [];
    for (let row = 0; row < layer.outSize; row++) {
      const lower = widenLower(layerBounds.lower[row]);
      const upper = widenUpper(layerBounds.upper[row]);
      const z = model.addVariable(lower, upper);
      pre.push(z);
      const terms: LinearTerm[] = [{ variable: z, coefficient: 1 }];
      const offset = row * layer.inSize;
      for (let col = 0; col < layer.inSize; col++) {
        const w = layer.weights[offset + col];
        if (w !== 0 && activations[col] >= 0) terms.push({ variable: activations[col], coefficient: -w });
      }
      model.addConstraint(terms, layer.bias[row], layer.bias[row]);
      layerBinaries.push(-1);
      if (!isHidden || layerIndex === lastLayer) continue;
      if (options.relaxation === 'pattern') {
        const active = options.activePattern?.[layerIndex]?.[row];
        if (active === undefined) throw new Error(`encodeNetwork: no activation pattern for layer ${layerIndex} neuron ${row}`);
        if (active) {
          model.addConstraint([{ variable: z, coefficient: 1 }], 0, Infinity);
          next.push(z);
        } else {
          model.addConstraint([{ variable: z, coefficient: 1 }], -Infinity, 0);
          next.push(-1);
        }
        continue;
      }
      if (upper <= 0) {
        next.push(-1);
        continue;
      }
      if (lower >= 0) {
        next.push(z);
        continue;
      }
      const a = model.addVariable(0, upper);
      next.push(a);
      model.addConstraint([{ variable: a, coefficient: 1 }, { variable: z, coefficient: -1 }], 0, Infinity);
      if (options.relaxation === 'exact') {
        const d = model.addVariable(0, 1, true);
        layerBinaries[row] = d;
        // a ≤ z − l·(1 − d)  ⇔  a − z − l·d ≤ −l
        model.addConstraint([{ variable: a, coefficient: 1 }, { variable: z, coefficient: -1 }, { variable: d, coefficient: -lower }], -Infinity, -lower);
        // a ≤ u·d
        model.addConstraint([{ variable: a, coefficient: 1 }, { variable: d, coefficient: -upper }], -Infinity, 0);
      } else {
        const slope = upper / (upper - lower);
        // a ≤ slope·(z − l)
        model.addConstraint([{ variable: a, coefficient: 1 }, { variable: z, coefficient: -slope }], -Infinity, -slope * lower);
      }
    }
    preActivations.push(pre);
    binaries.push(layerBinaries);
    activations = next;
  }
  return { model, inputs, preActivations, binaries, outputs: preActivations[preActivations.length - 1] };
}

/** The activation pattern of a concrete input (pre-activation ≥ 0 counts as active). */
export function activationPattern(network: ReluNetwork, input: Float64Array): boolean[][] {
  const pattern: boolean[][] = [];
  let activation = input;
  network.layers.forEach((layer, index) => {
    if (index === network.layers.length - 1) return;
    const out = new Float64Array(layer.outSize);
    const active: boolean[] = [];
    for (let row = 0; row < layer.outSize; row++) {
      let sum = layer.bias[row];
      for (let col = 0; col < layer.inSize; col++) sum += layer.weights[row * layer.inSize + col] * activation[col];
      active.push(sum >= 0);
      out[row] = Math.max(sum, 0);
    }
    pattern.push(active);
    activation = out;
  });
  return pattern;
}
