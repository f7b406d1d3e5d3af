/**
 * Attack-based falsification for complete verification: projected gradient descent (Madry et al., 2018,
 * https://arxiv.org/abs/1706.06083) inside an input box on the violation margin of one output conjunction,
 * f(x) = max_k (c_k·net(x) − rhs_k); any x with f(x) ≤ 0 is a counterexample. Random restarts from a seeded
 * generator, sign-gradient steps that shrink geometrically, exact Float64 forward and backward passes.
 *
 * The verifier re-checks every point found here (forwardRelu and ONNX Runtime), so this file only proposes.
 *
 * @example
 * const x = falsifyBox(network, box, conjunction, { restarts: 8, steps: 30, random: createRandom(0) });
 */
import type { InputBox, OutputConjunction, ReluNetwork } from './problem.js';

export interface FalsifyOptions {
  readonly restarts: number;
  readonly steps: number;
  /** Uniform [0, 1) generator (seeded). */
  readonly random: () => number;
  /** Extra starting points (e.g. a box corner the bounds point at) tried before the random ones. */
  readonly starts?: readonly Float64Array[];
  /** Date.now() after which the search stops (wide networks make each step costly). */
  readonly deadline?: number;
}

/** max_k (c_k·y − rhs_k) for an output vector y; ≤ 0 means the conjunction holds at y. */
export function conjunctionMargin(conjunction: OutputConjunction, output: Float64Array): number {
  let worst = -Infinity;
  for (const c of conjunction.constraints) {
    let v = -c.rhs;
    for (let j = 0; j < output.length; j++) v += c.coefficients[j] * output[j];
    if (v > worst) worst = v;
  }
  return worst;
}

/** Forward pass that keeps every pre-activation (for the backward pass). */
function forwardTrace(network: ReluNetwork, x: Float64Array): Float64Array[] {
  const pre: Float64Array[] = [];
  let activation = x;
  const last = network.layers.length - 1;
  network.layers.forEach((layer, k) => {
    const z = new Float64Array(layer.outSize);
    const n = layer.inSize;
    for (let i = 0; i < layer.outSize; i++) {
      let s = layer.bias[i];
      const off = i * n;
      for (let j = 0; j < n; j++) s += layer.weights[off + j] * activation[j];
      z[i] = s;
    }
    pre.push(z);
    if (k < last) {
      const h = new Float64Array(z.length);
      for (let i = 0; i < z.length; i++) h[i] = z[i] > 0 ? z[i] : 0;
      activation = h;
    } else activation = z;
  });
  return pre;
}

/** Gradient of c·net(x) with respect to x, given the forward trace at x. */
function gradient(network: ReluNetwork, pre: Float64Array[], c: Float64Array): Float64Array {
  let g = c;
  for (let k = network.layers.length - 1; k >= 0; k--) {
    const layer = network.layers[k];
    const n = layer.inSize;
    const next = new Float64Array(n);
    for (let i = 0; i < layer.outSize; i++) {
      const gi = g[i];
      if (gi === 0) continue;
      const off = i * n;
      for (let j = 0; j < n; j++) next[j] += gi * layer.weights[off + j];
    }
    if (k > 0) {
      const z = pre[k - 1];
      for (let j = 0; j < n; j++) if (z[j] <= 0) next[j] = 0;
    }
    g = next;
  }
  return g;
}

/** Searches the box for x with conjunctionMargin(net(x)) ≤ 0; returns it, or undefined. */
export function falsifyBox(network: ReluNetwork, box: InputBox, conjunction: OutputConjunction, options: FalsifyOptions): Float64Array | undefined {
  const d = network.inputSize;
  const width = new Float64Array(d);
  for (let t = 0; t < d; t++) width[t] = box.upper[t] - box.lower[t];
  const starts: Float64Array[] = [...(options.starts ?? [])];
  const center = new Float64Array(d);
  for (let t = 0; t < d; t++) center[t] = box.lower[t] + width[t] / 2;
  starts.push(center);
  for (let r = 0; r < options.restarts; r++) {
    const x = new Float64Array(d);
    // Every other start sits on faces of the box (violations often do): each coordinate at a bound with p = 2/3.
    const onFaces = r % 2 === 1;
    for (let t = 0; t < d; t++) {
      const u = options.random();
      x[t] = !onFaces || u >= 2 / 3 ? box.lower[t] + options.random() * width[t] : u < 1 / 3 ? box.lower[t] : box.upper[t];
    }
    starts.push(x);
  }
  const combined = new Float64Array(network.outputSize);
  const values = new Float64Array(conjunction.constraints.length);
  const trial = new Float64Array(d);
  const marginAt = (point: Float64Array, pre: Float64Array[]): number => {
    const y = pre[pre.length - 1];
    let worst = -Infinity;
    conjunction.constraints.forEach((c, k) => {
      let v = -c.rhs;
      for (let j = 0; j < y.length; j++) v += c.coefficients[j] * y[j];
      values[k] = v;
      if (v > worst) worst = v;
    });
    void point;
    return worst;
  };
  const deadline = options.deadline ?? Infinity;
  for (const start of starts) {
    if (Date.now() > deadline) break;
    const x = Float64Array.from(start);
    let pre = forwardTrace(network, x);
    let worst = marginAt(x, pre);
    let step = 0.1;
    for (let s = 0; s < options.steps; s++) {
      if (worst <= 0 || conjunction.constraints.length === 0) return x;
      if ((s & 7) === 7 && Date.now() > deadline) break;
      // Gradient of a soft maximum of the constraint values (the hard max alone makes the others oscillate).
      const temperature = Math.max(Math.abs(worst) * 0.2, 1e-9);
      combined.fill(0);
      conjunction.constraints.forEach((c, k) => {
        const weight = Math.exp((values[k] - worst) / temperature);
        for (let j = 0; j < combined.length; j++) combined[j] += weight * c.coefficients[j];
      });
      const g = gradient(network, pre, combined);
      for (let t = 0; t < d; t++) {
        const v = x[t] - step * width[t] * Math.sign(g[t]);
        trial[t] = v < box.lower[t] ? box.lower[t] : v > box.upper[t] ? box.upper[t] : v;
      }
      const trialPre = forwardTrace(network, trial);
      const trialWorst = marginAt(trial, trialPre);
      if (trialWorst < worst) {
        // Accept and grow the step a little; otherwise shrink it and retry from x.
        x.set(trial);
        pre = trialPre;
        worst = trialWorst;
        step = Math.min(step * 1.2, 0.5);
      } else {
        step *= 0.5;
        marginAt(x, pre); // restore values[] for x
        if (step < 1e-7) break;
      }
    }
    if (worst <= 0) return x;
  }
  return undefined;
}
