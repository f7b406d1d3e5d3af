/**
 * CROWN linear bounds for dense ReLU networks in Float64 — the fast path branch and bound runs on every sub-box.
 *
 * CROWN (Zhang et al., "Efficient Neural Network Robustness Certification with General Activation Functions",
 * NeurIPS 2018, https://arxiv.org/abs/1811.00866) propagates a linear objective Λ·z backwards through the
 * network, replacing each unstable ReLU (l < 0 < u) by a linear lower bound h ≥ α·z (adaptive α ∈ {0, 1}: 1 when
 * u > −l) or the upper chord h ≤ u/(u−l)·(z − l), whichever the sign of the objective's coefficient asks for, and
 * concretises the final linear function of the input over the box.
 *
 * Intermediate (pre-activation) bounds come from one of two sound methods, always intersected with interval
 * bounds: backward CROWN for every neuron that interval bounds (intersected with an enclosing domain's bounds)
 * leave unstable. Forward symbolic propagation (ReluVal/Neurify style, cheaper for few inputs) is available but
 * measured 10-100× looser on ACAS Xu, so it is not the default. Split constraints from ReLU branching (β-CROWN's subdomains, Wang et al. 2021,
 * https://arxiv.org/abs/2103.06624) are honoured by fixing the split neurons' relaxation: an `active` neuron is the
 * identity and has l ≥ 0, an `inactive` one is zero with u ≤ 0. This is exact on the subdomain (no β multipliers,
 * so looser than β-CROWN but sound).
 *
 * Assumptions: affine layers with ReLU after all but the last; boxes with finite bounds.
 *
 * @example
 * const bounds = computeIntermediateBounds(network, box);
 * const { lower } = specLowerBounds(network, box, bounds, rows, rhs); // lower[r] ≤ min over box of rows[r]·y − rhs[r]
 */
import type { InputBox, ReluNetwork } from './problem.js';

/** Per hidden layer, per neuron: 0 free, 1 active (z ≥ 0), −1 inactive (z ≤ 0). */
export type SplitState = readonly Int8Array[];

/** Pre-activation bounds of the hidden layers (layers[0..L−2]). */
export interface IntermediateBounds {
  readonly lower: Float64Array[];
  readonly upper: Float64Array[];
  /**
   * Per hidden layer, linear functions of the input that bound each neuron (lower: lowerA·x + lowerC ≤ z, upper:
   * z ≤ upperA·x + upperC; A is width × inputSize) over the box they were computed on. They stay valid on every
   * sub-box, where concretising them costs O(width·inputs) — input splitting reuses a parent's for its children.
   */
  readonly linear?: LinearBounds[];
  /** True when split constraints contradict the bounds (some neuron has lower > upper): the subdomain is empty. */
  readonly infeasible?: boolean;
}

export interface LinearBounds {
  readonly lowerA: Float64Array;
  readonly lowerC: Float64Array;
  readonly upperA: Float64Array;
  readonly upperC: Float64Array;
}

export interface SpecBound {
  /** lower[r] ≤ min over the (sub)domain of rows[r]·net(x) − rhs[r]. */
  readonly lower: Float64Array;
  /** Input coefficients of each row's final linear bound (rows × inputSize): the smear/split heuristic uses them. */
  readonly inputCoefficients: Float64Array;
  /** For each hidden layer, the objective's coefficients on the post-ReLU values per row (rows × width), for ReLU-split scores. */
  readonly layerCoefficients: Float64Array[];
}

export interface BoundOptions {
  /** 'auto' = 'backward' (CROWN per unstable neuron); 'forward' = symbolic intervals; 'interval' = IBP. */
  readonly intermediate?: 'auto' | 'forward' | 'backward' | 'interval';
  /**
   * Backward CROWN for every neuron, not only those interval bounds leave unstable (as src/certify does). A stable
   * neuron's relaxation does not depend on its bound values, so this only tightens later interval intersections
   * and the final interval floor, at the cost of one backward row pair per neuron. Default false.
   */
  readonly allNeurons?: boolean;
}

/** Sound pre-activation bounds of every hidden layer on `box`, honouring `splits` (if given). */
export function computeIntermediateBounds(
  network: ReluNetwork,
  box: InputBox,
  splits?: SplitState,
  options: BoundOptions = {},
  parent?: IntermediateBounds,
): IntermediateBounds {
  const mode = options.intermediate ?? 'auto';
  const bounds =
    mode === 'interval'
      ? intervalWithSplits(network, box, splits, parent)
      : mode === 'forward'
        ? forwardSymbolic(network, box, splits)
        : backwardIntermediate(network, box, splits, parent, options.allNeurons ?? false);
  if (!splits) return bounds;
  const infeasible = bounds.lower.some((lo, k) => lo.some((l, i) => l > bounds.upper[k][i]));
  return infeasible ? { ...bounds, infeasible } : bounds;
}

/** Interval bounds with split constraints applied layer by layer. */
function intervalWithSplits(network: ReluNetwork, box: InputBox, splits?: SplitState, parent?: IntermediateBounds): IntermediateBounds {
  const lowerAll: Float64Array[] = [];
  const upperAll: Float64Array[] = [];
  let inLower = box.lower;
  let inUpper = box.upper;
  for (let k = 0; k < network.layers.length - 1; k++) {
    const { lower, upper } = intervalLayer(network, k, inLower, inUpper);
    if (parent) intersect(lower, upper, parent.lower[k], parent.upper[k]);
    if (parent?.linear) concretizeInto(parent.linear[k], box, lower, upper);
    applySplits(lower, upper, splits?.[k]);
    lowerAll.push(lower);
    upperAll.push(upper);
    inLower = postLower(lower);
    inUpper = postUpper(upper);
  }
  return { lower: lowerAll, upper: upperAll, linear: parent?.linear };
}

/** Tightens lower/upper with linear bounds concretised over the box. */
function concretizeInto(linear: LinearBounds, box: InputBox, lower: Float64Array, upper: Float64Array): void {
  const d = box.lower.length;
  const xl = box.lower;
  const xu = box.upper;
  for (let i = 0; i < lower.length; i++) {
    const off = i * d;
    let lo = linear.lowerC[i];
    let hi = linear.upperC[i];
    for (let t = 0; t < d; t++) {
      const a = linear.lowerA[off + t];
      lo += a > 0 ? a * xl[t] : a * xu[t];
      const b = linear.upperA[off + t];
      hi += b > 0 ? b * xu[t] : b * xl[t];
    }
    if (lo > lower[i]) lower[i] = lo;
    if (hi < upper[i]) upper[i] = hi;
  }
}

function intervalLayer(network: ReluNetwork, k: number, inLower: Float64Array, inUpper: Float64Array): { lower: Float64Array; upper: Float64Array } {
  const layer = network.layers[k];
  const lower = new Float64Array(layer.outSize);
  const upper = new Float64Array(layer.outSize);
  const w = layer.weights;
  const wAbs = absoluteWeights(network, k);
  const n = layer.inSize;
  // Centre-radius form W·c ± |W|·r: no sign branch per weight (this runs for every layer of every box).
  const centre = new Float64Array(n);
  const radius = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    centre[j] = 0.5 * (inLower[j] + inUpper[j]);
    radius[j] = 0.5 * (inUpper[j] - inLower[j]);
  }
  for (let i = 0; i < layer.outSize; i++) {
    let mid = layer.bias[i];
    let rad = 0;
    const off = i * n;
    for (let j = 0; j < n; j++) {
      mid += w[off + j] * centre[j];
      rad += wAbs[off + j] * radius[j];
    }
    lower[i] = mid - rad;
    upper[i] = mid + rad;
  }
  return { lower, upper };
}

const absoluteWeightCache = new WeakMap<ReluNetwork, Float64Array[]>();

function absoluteWeights(network: ReluNetwork, k: number): Float64Array {
  let all = absoluteWeightCache.get(network);
  if (!all) {
    all = network.layers.map((layer) => layer.weights.map(Math.abs));
    absoluteWeightCache.set(network, all);
  }
  return all[k];
}

function intersect(lower: Float64Array, upper: Float64Array, pl: Float64Array, pu: Float64Array): void {
  for (let i = 0; i < lower.length; i++) {
    if (pl[i] > lower[i]) lower[i] = pl[i];
    if (pu[i] < upper[i]) upper[i] = pu[i];
  }
}

function applySplits(lower: Float64Array, upper: Float64Array, split: Int8Array | undefined): void {
  if (!split) return;
  for (let i = 0; i < lower.length; i++) {
    if (split[i] === 1) {
      if (lower[i] < 0) lower[i] = 0;
    } else if (split[i] === -1) {
      if (upper[i] > 0) upper[i] = 0;
    }
  }
}

function postLower(lower: Float64Array): Float64Array {
  const out = new Float64Array(lower.length);
  for (let i = 0; i < lower.length; i++) out[i] = lower[i] > 0 ? lower[i] : 0;
  return out;
}

function postUpper(upper: Float64Array): Float64Array {
  const out = new Float64Array(upper.length);
  for (let i = 0; i < upper.length; i++) out[i] = upper[i] > 0 ? upper[i] : 0;
  return out;
}

/**
 * Forward symbolic bounds: each neuron carries L(x) = lw·x + lc ≤ z ≤ uw·x + uc = U(x) over the box. Rows of
 * length d+1 (coefficients then constant).
 */
function forwardSymbolic(network: ReluNetwork, box: InputBox, splits?: SplitState): IntermediateBounds {
  const d = network.inputSize;
  const stride = d + 1;
  const lowerAll: Float64Array[] = [];
  const upperAll: Float64Array[] = [];
  const xl = box.lower;
  const xu = box.upper;
  // Post-activation symbolic bounds of the previous layer; start with the identity on x.
  let postL = new Float64Array(d * stride);
  let postU = new Float64Array(d * stride);
  for (let j = 0; j < d; j++) {
    postL[j * stride + j] = 1;
    postU[j * stride + j] = 1;
  }
  let postLo = xl;
  let postHi = xu;
  for (let k = 0; k < network.layers.length - 1; k++) {
    const layer = network.layers[k];
    const n = layer.inSize;
    const m = layer.outSize;
    const w = layer.weights;
    const preL = new Float64Array(m * stride);
    const preU = new Float64Array(m * stride);
    const lower = new Float64Array(m);
    const upper = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const oi = i * stride;
      preL[oi + d] = layer.bias[i];
      preU[oi + d] = layer.bias[i];
      let ibpLo = layer.bias[i];
      let ibpHi = layer.bias[i];
      const off = i * n;
      for (let j = 0; j < n; j++) {
        const wij = w[off + j];
        if (wij === 0) continue;
        const oj = j * stride;
        if (wij > 0) {
          for (let t = 0; t < stride; t++) {
            preL[oi + t] += wij * postL[oj + t];
            preU[oi + t] += wij * postU[oj + t];
          }
          ibpLo += wij * postLo[j];
          ibpHi += wij * postHi[j];
        } else {
          for (let t = 0; t < stride; t++) {
            preL[oi + t] += wij * postU[oj + t];
            preU[oi + t] += wij * postL[oj + t];
          }
          ibpLo += wij * postHi[j];
          ibpHi += wij * postLo[j];
        }
      }
      let lo = preL[oi + d];
      let hi = preU[oi + d];
      for (let t = 0; t < d; t++) {
        const a = preL[oi + t];
        lo += a > 0 ? a * xl[t] : a * xu[t];
        const b = preU[oi + t];
        hi += b > 0 ? b * xu[t] : b * xl[t];
      }
      lower[i] = lo > ibpLo ? lo : ibpLo;
      upper[i] = hi < ibpHi ? hi : ibpHi;
    }
    applySplits(lower, upper, splits?.[k]);
    lowerAll.push(lower);
    upperAll.push(upper);
    // Relax the ReLUs into the next post-activation symbolic bounds.
    const nextL = preL; // reuse in place: row i only depends on row i
    const nextU = preU;
    for (let i = 0; i < m; i++) {
      const oi = i * stride;
      const l = lower[i];
      const u = upper[i];
      if (u <= 0) {
        for (let t = 0; t < stride; t++) {
          nextL[oi + t] = 0;
          nextU[oi + t] = 0;
        }
      } else if (l >= 0) {
        // identity (also for neurons split active)
      } else {
        const s = u / (u - l);
        for (let t = 0; t < stride; t++) nextU[oi + t] *= s;
        nextU[oi + d] -= s * l;
        if (u < -l) for (let t = 0; t < stride; t++) nextL[oi + t] = 0;
      }
    }
    postL = nextL;
    postU = nextU;
    postLo = postLower(lower);
    postHi = postUpper(upper);
  }
  return { lower: lowerAll, upper: upperAll };
}

/** Backward CROWN for each hidden layer's unstable neurons (by interval bounds); stable neurons keep interval bounds. */
function backwardIntermediate(network: ReluNetwork, box: InputBox, splits: SplitState | undefined, parent: IntermediateBounds | undefined, allNeurons: boolean): IntermediateBounds {
  const lowerAll: Float64Array[] = [];
  const upperAll: Float64Array[] = [];
  const linearAll: LinearBounds[] = [];
  const d = network.inputSize;
  let inLower = box.lower;
  let inUpper = box.upper;
  for (let k = 0; k < network.layers.length - 1; k++) {
    const { lower, upper } = intervalLayer(network, k, inLower, inUpper);
    // Bounds of an enclosing domain stay valid on this one.
    if (parent) intersect(lower, upper, parent.lower[k], parent.upper[k]);
    if (parent?.linear) concretizeInto(parent.linear[k], box, lower, upper);
    applySplits(lower, upper, splits?.[k]);
    const width = lower.length;
    // Linear bounds: constants by default (the concrete bounds), exact for layer 0, CROWN rows for unstable neurons.
    const linear: LinearBounds = { lowerA: new Float64Array(width * d), lowerC: lower.slice(), upperA: new Float64Array(width * d), upperC: upper.slice() };
    if (k === 0) {
      const layer = network.layers[0];
      if (layer.inSize === d) {
        linear.lowerA.set(layer.weights);
        linear.upperA.set(layer.weights);
        linear.lowerC.set(layer.bias);
        linear.upperC.set(layer.bias);
      }
    } else {
      const unstable: number[] = [];
      for (let i = 0; i < width; i++) if (allNeurons || (lower[i] < 0 && upper[i] > 0)) unstable.push(i);
      if (unstable.length > 0) {
        // Rows ±e_i: the first backward step is a signed copy of W_k's row i (no product needed).
        const unit = { index: new Int32Array(2 * unstable.length), sign: new Float64Array(2 * unstable.length) };
        unstable.forEach((i, r) => {
          unit.index[r] = i;
          unit.sign[r] = 1;
          unit.index[unstable.length + r] = i;
          unit.sign[unstable.length + r] = -1;
        });
        const partial = { lower: lowerAll, upper: upperAll };
        const bound = backwardLower(network, box, partial, splits, k, new Float64Array(0), 2 * unstable.length, false, undefined, unit);
        const coefficients = bound.inputCoefficients;
        unstable.forEach((i, r) => {
          const lo = bound.lower[r];
          const hi = -bound.lower[unstable.length + r];
          if (lo > lower[i]) lower[i] = lo;
          if (hi < upper[i]) upper[i] = hi;
          // Recover each row's constant from its concretised value: c = bound − Σ min(a·xl, a·xu).
          const offL = r * d;
          const offU = (unstable.length + r) * d;
          let cl = lo;
          let cu = -hi; // the row bounded −z from below
          for (let t = 0; t < d; t++) {
            const a = coefficients[offL + t];
            cl -= a > 0 ? a * box.lower[t] : a * box.upper[t];
            const b = coefficients[offU + t];
            cu -= b > 0 ? b * box.lower[t] : b * box.upper[t];
          }
          for (let t = 0; t < d; t++) {
            linear.lowerA[i * d + t] = coefficients[offL + t];
            linear.upperA[i * d + t] = -coefficients[offU + t];
          }
          linear.lowerC[i] = cl;
          linear.upperC[i] = -cu;
        });
        applySplits(lower, upper, splits?.[k]);
      }
    }
    linearAll.push(linear);
    lowerAll.push(lower);
    upperAll.push(upper);
    inLower = postLower(lower);
    inUpper = postUpper(upper);
  }
  return { lower: lowerAll, upper: upperAll, linear: d <= 64 ? linearAll : undefined };
}

/**
 * Lower bounds of `rows`·net(x) − rhs over the box (rows: count × outputSize, row-major), given intermediate
 * bounds for the same box and splits.
 */
export function specLowerBounds(
  network: ReluNetwork,
  box: InputBox,
  bounds: IntermediateBounds,
  rows: Float64Array,
  rhs: Float64Array,
  splits?: SplitState,
  options: { alphaIterations?: number; outputFloor?: boolean } = {},
): SpecBound {
  const count = rhs.length;
  const result = backwardLower(network, box, bounds, splits, network.layers.length - 1, rows, count, true);
  const floor = intervalSpecLower(network, box, bounds, rows, count);
  if (options.outputFloor) {
    // Also combine CROWN bounds of each output (as src/certify does): sometimes tighter than the rows' own pass.
    const m = network.outputSize;
    const unit = new Float64Array(2 * m * m);
    for (let j = 0; j < m; j++) {
      unit[j * m + j] = 1;
      unit[(m + j) * m + j] = -1;
    }
    const outputs = backwardLower(network, box, bounds, splits, network.layers.length - 1, unit, 2 * m, false);
    for (let r = 0; r < count; r++) {
      let v = 0;
      for (let j = 0; j < m; j++) {
        const c = rows[r * m + j];
        v += c > 0 ? c * outputs.lower[j] : -c * outputs.lower[m + j];
      }
      if (v > floor[r]) floor[r] = v;
    }
  }
  for (let r = 0; r < count; r++) result.lower[r] = Math.max(result.lower[r], floor[r]) - rhs[r];
  const iterations = options.alphaIterations ?? 0;
  if (iterations > 0) {
    const width = network.outputSize;
    for (let r = 0; r < count; r++) {
      if (result.lower[r] > 0) continue;
      const improved = optimizeAlpha(network, box, bounds, rows.subarray(r * width, (r + 1) * width), iterations);
      if (improved && improved.lower[0] - rhs[r] > result.lower[r]) {
        result.lower[r] = improved.lower[0] - rhs[r];
        const d = network.inputSize;
        result.inputCoefficients.set(improved.inputCoefficients.subarray(0, d), r * d);
        improved.layerCoefficients.forEach((c, k) => result.layerCoefficients[k].set(c, r * c.length));
      }
    }
  }
  return result;
}

/**
 * Interval lower bound of each row·y: (row·W_L)·h + row·b_L with h in the last hidden layer's post-ReLU interval.
 * CROWN is usually tighter but not always, so the spec bound is never looser than this.
 */
function intervalSpecLower(network: ReluNetwork, box: InputBox, bounds: IntermediateBounds, rows: Float64Array, count: number): Float64Array {
  const last = network.layers[network.layers.length - 1];
  const n = last.inSize;
  const m = last.outSize;
  const hidden = network.layers.length - 1;
  const lo = hidden > 0 ? postLower(bounds.lower[hidden - 1]) : box.lower;
  const hi = hidden > 0 ? postUpper(bounds.upper[hidden - 1]) : box.upper;
  const result = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    let v = 0;
    for (let i = 0; i < m; i++) v += rows[r * m + i] * last.bias[i];
    for (let j = 0; j < n; j++) {
      let a = 0;
      for (let i = 0; i < m; i++) a += rows[r * m + i] * last.weights[i * n + j];
      v += a > 0 ? a * lo[j] : a * hi[j];
    }
    result[r] = v;
  }
  return result;
}

/**
 * α-CROWN-lite (Xu et al., "Fast and Complete", ICLR 2021, https://arxiv.org/abs/2011.13824) for one objective
 * row: the bound is linear in each lower slope α_j ∈ [0, 1] with coefficient ν_j·z̃_j, where ν_j is the
 * objective's coefficient on the neuron and z̃_j the neuron's value in the relaxed network at the minimising input
 * corner. Each iteration sets every α_j to the vertex that this linearisation prefers and keeps the best bound.
 */
function optimizeAlpha(network: ReluNetwork, box: InputBox, bounds: IntermediateBounds, row: Float64Array, iterations: number): SpecBound | undefined {
  const hiddenCount = network.layers.length - 1;
  const alphas = bounds.lower.map((lo, k) => {
    const a = new Float64Array(lo.length);
    for (let j = 0; j < lo.length; j++) a[j] = bounds.upper[k][j] > -lo[j] ? 1 : 0;
    return a;
  });
  let best: SpecBound | undefined;
  let current = backwardLower(network, box, bounds, undefined, hiddenCount, row, 1, true, alphas);
  const d = network.inputSize;
  const x = new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    if (!best || current.lower[0] > best.lower[0]) best = current;
    for (let t = 0; t < d; t++) x[t] = current.inputCoefficients[t] > 0 ? box.lower[t] : box.upper[t];
    // Relaxed forward pass at x, updating the α's by the sign of ν_j·z̃_j.
    let h: Float64Array = x;
    let changed = false;
    for (let k = 0; k < hiddenCount; k++) {
      const layer = network.layers[k];
      const n = layer.inSize;
      const z = new Float64Array(layer.outSize);
      for (let i = 0; i < layer.outSize; i++) {
        let v = layer.bias[i];
        const off = i * n;
        for (let j = 0; j < n; j++) v += layer.weights[off + j] * h[j];
        z[i] = v;
      }
      const nu = current.layerCoefficients[k];
      const lo = bounds.lower[k];
      const hi = bounds.upper[k];
      const a = alphas[k];
      for (let j = 0; j < z.length; j++) {
        const l = lo[j];
        const u = hi[j];
        if (u <= 0) z[j] = 0;
        else if (l >= 0) continue;
        else if (nu[j] >= 0) {
          const want = z[j] > 0 ? 1 : 0;
          if (want !== a[j]) changed = true;
          z[j] *= a[j];
          a[j] = want;
        } else {
          const sl = u / (u - l);
          z[j] = sl * (z[j] - l);
        }
      }
      h = z;
    }
    if (!changed) break;
    current = backwardLower(network, box, bounds, undefined, hiddenCount, row, 1, true, alphas);
  }
  if (!best || current.lower[0] > best.lower[0]) best = current;
  return best;
}

/**
 * Backward CROWN from the pre-activation of layer `top` with objective rows Λ (count × width(top)). Returns lower
 * bounds of Λ·z_top over the box (intermediate bounds of layers < top are used for the relaxations).
 */
function backwardLower(
  network: ReluNetwork,
  box: InputBox,
  bounds: IntermediateBounds,
  splits: SplitState | undefined,
  top: number,
  rows: Float64Array,
  count: number,
  keepLayerCoefficients: boolean,
  alphas?: readonly Float64Array[],
  unit?: { readonly index: Int32Array; readonly sign: Float64Array },
): SpecBound {
  const constant = new Float64Array(count);
  const layerCoefficients: Float64Array[] = [];
  const d = network.inputSize;
  // Ping-pong work buffers (per network, grown on demand): this runs for every neuron row of every box, and fresh
  // arrays per layer made the garbage collector a visible share of the time. Only the returned input coefficients
  // are a new array.
  const work = scratchFor(network, count);
  let lambda = rows;
  let spare = work.a;
  for (let k = top; k >= 0; k--) {
    const layer = network.layers[k];
    const n = layer.inSize;
    const m = layer.outSize;
    const next = k === 0 ? new Float64Array(count * n) : spare;
    if (unit && k === top) {
      // Row r is sign[r]·e_index[r] (rows is unused): Λ·W is a signed row of W, Λ·b a signed bias entry.
      const w = layer.weights;
      for (let r = 0; r < count; r++) {
        const sg = unit.sign[r];
        const i = unit.index[r];
        const off = i * n;
        const nr = r * n;
        for (let j = 0; j < n; j++) next[nr + j] = sg * w[off + j];
        constant[r] += sg * layer.bias[i];
      }
    } else multiplyRows(lambda, count, m, layer.weights, layer.bias, n, next, constant, work);
    if (k === 0) {
      lambda = next;
      break;
    }
    if (keepLayerCoefficients) layerCoefficients[k - 1] = next.slice(0, count * n);
    // Relax the ReLUs of layer k−1 (whose outputs are this layer's inputs), one contiguous row at a time.
    const lo = bounds.lower[k - 1];
    const hi = bounds.upper[k - 1];
    const mode = work.mode;
    const slope = work.slope;
    const lowerSlope = work.lowerSlope;
    const offset = work.offset;
    for (let j = 0; j < n; j++) {
      const l = lo[j];
      const u = hi[j];
      if (u <= 0) mode[j] = 0;
      else if (l >= 0) mode[j] = 1;
      else {
        mode[j] = 2;
        const s = u / (u - l);
        slope[j] = s;
        offset[j] = s * l;
        lowerSlope[j] = alphas ? alphas[k - 1][j] : u > -l ? 1 : 0;
      }
    }
    for (let r = 0; r < count; r++) {
      const off = r * n;
      let c = 0;
      for (let j = 0; j < n; j++) {
        const md = mode[j];
        if (md === 1) continue;
        const idx = off + j;
        if (md === 0) {
          next[idx] = 0;
          continue;
        }
        const a = next[idx];
        if (a >= 0) next[idx] = a * lowerSlope[j];
        else {
          next[idx] = a * slope[j];
          c -= a * offset[j];
        }
      }
      constant[r] += c;
    }
    lambda = next;
    spare = next === work.a ? work.b : work.a;
  }
  const lower = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    let v = constant[r];
    const off = r * d;
    for (let t = 0; t < d; t++) {
      const a = lambda[off + t];
      v += a > 0 ? a * box.lower[t] : a * box.upper[t];
    }
    lower[r] = v;
  }
  void splits;
  return { lower, inputCoefficients: lambda, layerCoefficients };
}

interface BackwardWork {
  rows: number;
  a: Float64Array;
  b: Float64Array;
  mode: Uint8Array;
  slope: Float64Array;
  lowerSlope: Float64Array;
  offset: Float64Array;
  active: Int32Array;
  packL: Float64Array;
  packW: Float64Array;
}

const backwardWork = new WeakMap<ReluNetwork, BackwardWork>();

/** Work buffers for `count` rows of the widest layer (reused across calls; backwardLower is not re-entrant). */
function scratchFor(network: ReluNetwork, count: number): BackwardWork {
  let work = backwardWork.get(network);
  if (!work || work.rows < count) {
    let width = network.inputSize;
    for (const layer of network.layers) width = Math.max(width, layer.inSize, layer.outSize);
    const rows = Math.max(count, work ? 2 * work.rows : 0);
    work = {
      rows,
      a: new Float64Array(rows * width),
      b: new Float64Array(rows * width),
      mode: new Uint8Array(width),
      slope: new Float64Array(width),
      lowerSlope: new Float64Array(width),
      offset: new Float64Array(width),
      active: new Int32Array(width),
      packL: new Float64Array(rows * width),
      packW: new Float64Array(width * width),
    };
    backwardWork.set(network, work);
  }
  return work;
}

/**
 * next[r] = Λ[r]·W (overwritten) and constant[r] += Λ[r]·b for every row. Columns of Λ that are zero in every row
 * (dead or inactive neurons) are dropped first; the product then runs as dot products over the packed columns,
 * two rows × four outputs at a time, which keeps the sums in registers (an axpy form loads and stores `next` for
 * every multiply and was ~80% of the time per box).
 */
function multiplyRows(lambda: Float64Array, count: number, m: number, w: Float64Array, b: Float64Array, n: number, next: Float64Array, constant: Float64Array, work: BackwardWork): void {
  const active = work.active;
  let p = 0;
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < count; r++) {
      if (lambda[r * m + i] !== 0) {
        active[p++] = i;
        break;
      }
    }
  }
  const packL = work.packL;
  const packW = work.packW;
  for (let r = 0; r < count; r++) {
    const lr = r * m;
    const pr = r * p;
    let c = 0;
    for (let q = 0; q < p; q++) {
      const v = lambda[lr + active[q]];
      packL[pr + q] = v;
      c += v * b[active[q]];
    }
    constant[r] += c;
  }
  for (let q = 0; q < p; q++) {
    const off = active[q] * n;
    for (let j = 0; j < n; j++) packW[j * p + q] = w[off + j];
  }
  let r = 0;
  for (; r + 1 < count; r += 2) {
    const a0 = r * p;
    const a1 = a0 + p;
    const n0 = r * n;
    const n1 = n0 + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const w0 = j * p;
      const w1 = w0 + p;
      const w2 = w1 + p;
      const w3 = w2 + p;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let q = 0; q < p; q++) {
        const x0 = packL[a0 + q];
        const x1 = packL[a1 + q];
        const y0 = packW[w0 + q];
        const y1 = packW[w1 + q];
        const y2 = packW[w2 + q];
        const y3 = packW[w3 + q];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      next[n0 + j] = s00;
      next[n0 + j + 1] = s01;
      next[n0 + j + 2] = s02;
      next[n0 + j + 3] = s03;
      next[n1 + j] = s10;
      next[n1 + j + 1] = s11;
      next[n1 + j + 2] = s12;
      next[n1 + j + 3] = s13;
    }
    for (; j + 1 < n; j += 2) {
      const w0 = j * p;
      const w1 = w0 + p;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let q = 0; q < p; q++) {
        const x0 = packL[a0 + q];
        const x1 = packL[a1 + q];
        const y0 = packW[w0 + q];
        const y1 = packW[w1 + q];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      next[n0 + j] = s00;
      next[n0 + j + 1] = s01;
      next[n1 + j] = s10;
      next[n1 + j + 1] = s11;
    }
    for (; j < n; j++) {
      const w0 = j * p;
      let s0 = 0;
      let s1 = 0;
      for (let q = 0; q < p; q++) {
        s0 += packL[a0 + q] * packW[w0 + q];
        s1 += packL[a1 + q] * packW[w0 + q];
      }
      next[n0 + j] = s0;
      next[n1 + j] = s1;
    }
  }
  for (; r < count; r++) {
    const a0 = r * p;
    const n0 = r * n;
    for (let j = 0; j < n; j++) {
      const w0 = j * p;
      let s0 = 0;
      for (let q = 0; q < p; q++) s0 += packL[a0 + q] * packW[w0 + q];
      next[n0 + j] = s0;
    }
  }
}
