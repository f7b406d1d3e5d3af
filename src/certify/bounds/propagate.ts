/**
 * The bound propagation engine over a {@link BoundGraph}: input balls, the forward pass that computes an
 * interval for every value (IBP, optionally tightened by CROWN at the inputs of nonlinear ops), the backward
 * linear pass (CROWN) from any value with any specification matrix, and concretisation over the input set.
 *
 * Input sets: an L∞ or L2 ball around x₀ intersected with the input bounds [lo, hi].
 * - L∞: the intersection is the box [max(x₀−ε, lo), min(x₀+ε, hi)], exact.
 * - L2: IBP starts from the enclosing box B = [max(x₀−ε, lo), min(x₀+ε, hi)] (the L2 ball lies inside the L∞
 *   ball of the same radius). A linear function a·x over the intersection is bounded two ways, both valid because
 *   the intersection lies inside each set: over the L2 ball, a·x ≥ a·x₀ − ε‖a‖₂ (dual norm), and over the box,
 *   a·x ≥ Σ min(aᵢlᵢ, aᵢuᵢ); we take the larger (tighter) of the two lower bounds, and the smaller upper bound.
 *
 * Floating point: tensors are float32. Every concretised bound (intermediate and final) is widened by
 * `safety·(1 + |b|)` (default safety = 1e-5, far above the float32 rounding of these sums on MNIST-sized
 * networks). This is an engineering margin, not a proof about rounding; the verification engine's Float64 path
 * is the cross-check.
 *
 * Intermediate CROWN bounds need a backward pass with one specification row per neuron; layers with more than
 * `maxCrownNeurons` neurons keep their IBP bounds (documented in docs/certify.md; raise the limit for tighter
 * but slower bounds). The passes are chunked over specification rows to cap memory.
 */
import { tf, type Tensor } from '../../engine/tf.js';
import { OnnxAttributes } from '../../engine/onnx/registry.js';
import type { Coefficients, CrownContext, Interval, RuleContext } from './define.js';
import type { BoundGraph } from './graph.js';
import { tidy } from './linear.js';

export type BallNorm = 'linf' | 'l2';

export interface InputBall {
  /** Centre x₀ in the graph's layout, [N, ...graph.inputDims]. */
  center: Tensor;
  norm: BallNorm;
  /** Radius: one number for every sample, or one per sample ([N] tensor). */
  epsilon: number | Tensor;
  /** Input bounds [lo, hi] intersected with the ball. */
  bounds: readonly [number, number];
}

export interface PropagationOptions {
  /** How intermediate bounds at the inputs of nonlinear ops are computed. */
  intermediate: 'ibp' | 'crown';
  /** Layers with more neurons keep IBP intermediate bounds (CROWN only). */
  maxCrownNeurons: number;
  /** Cap on N·S·width elements of one backward chunk. */
  chunkElements: number;
  /** Relative widening of every concretised bound (float32 safety margin). */
  safety: number;
}

export const defaultPropagation: PropagationOptions = { intermediate: 'crown', maxCrownNeurons: 4096, chunkElements: 1 << 23, safety: 1e-5 };

function epsilonTensor(ball: InputBall, rank: number): Tensor {
  const n = ball.center.shape[0]!;
  if (typeof ball.epsilon === 'number') return tf.scalar(ball.epsilon);
  return tf.reshape(ball.epsilon, [n, ...new Array<number>(rank - 1).fill(1)]);
}

/** The box [max(x₀−ε, lo), min(x₀+ε, hi)] (exact for L∞, enclosing for L2). */
export function inputBox(ball: InputBall): Interval {
  return tidy(() => {
    const eps = epsilonTensor(ball, ball.center.rank);
    return {
      lower: tf.maximum(tf.sub(ball.center, eps), ball.bounds[0]),
      upper: tf.minimum(tf.add(ball.center, eps), ball.bounds[1]),
    };
  });
}

function widen(b: Tensor, safety: number, side: 'lower' | 'upper'): Tensor {
  const slack = tf.mul(tf.add(tf.abs(b), 1), safety);
  return side === 'lower' ? tf.sub(b, slack) : tf.add(b, slack);
}

/** min (or max) over the input set of A·x, A = [N, S, ...inputDims] → [N, S]. */
export function concretizeInput(a: Tensor, ball: InputBall, side: 'lower' | 'upper'): Tensor {
  return tidy(() => {
    const [n, s] = [a.shape[0]!, a.shape[1]!];
    const af = tf.reshape(a, [n, s, -1]);
    const box = inputBox(ball);
    const mid = tf.reshape(tf.mul(tf.add(box.lower, box.upper), 0.5), [n, 1, -1]);
    const rad = tf.reshape(tf.mul(tf.sub(box.upper, box.lower), 0.5), [n, 1, -1]);
    const centre = tf.sum(tf.mul(af, mid), 2);
    const spread = tf.sum(tf.mul(tf.abs(af), rad), 2);
    let bound = side === 'lower' ? tf.sub(centre, spread) : tf.add(centre, spread);
    if (ball.norm === 'l2') {
      const x0 = tf.reshape(ball.center, [n, 1, -1]);
      const atX0 = tf.sum(tf.mul(af, x0), 2);
      const eps = typeof ball.epsilon === 'number' ? tf.scalar(ball.epsilon) : tf.reshape(ball.epsilon, [n, 1]);
      const dual = tf.mul(tf.sqrt(tf.add(tf.sum(tf.square(af), 2), 1e-30)), eps);
      bound = side === 'lower' ? tf.maximum(bound, tf.sub(atX0, dual)) : tf.minimum(bound, tf.add(atX0, dual));
    }
    return bound;
  });
}

/** min (or max) of A·v over the box of an interval, A = [N, S, ...d] → [N, S]. */
export function concretizeInterval(a: Tensor, box: Interval, side: 'lower' | 'upper'): Tensor {
  return tidy(() => {
    const [n, s] = [a.shape[0]!, a.shape[1]!];
    const af = tf.reshape(a, [n, s, -1]);
    const lo = tf.reshape(box.lower, [n, 1, -1]);
    const hi = tf.reshape(box.upper, [n, 1, -1]);
    const pos = tf.relu(af);
    const neg = tf.minimum(af, 0);
    const atLower = tf.add(tf.sum(tf.mul(pos, lo), 2), tf.sum(tf.mul(neg, hi), 2));
    const atUpper = tf.add(tf.sum(tf.mul(pos, hi), 2), tf.sum(tf.mul(neg, lo), 2));
    return side === 'lower' ? atLower : atUpper;
  });
}

function ruleContext(graph: BoundGraph, nodeIndex: number, intervals: Map<string, Interval>): RuleContext {
  const node = graph.nodes[nodeIndex]!;
  return {
    node,
    attrs: new OnnxAttributes({ ...node, domain: '' }),
    inputs: node.inputs.map((i) => (graph.perturbed.has(i) ? intervals.get(i)! : null)),
    constants: node.inputs.map((i) => (graph.perturbed.has(i) ? null : graph.constants.get(i) ?? null)),
  };
}

export interface BackwardOptions {
  /** α-CROWN lower slopes by ReLU node name, [N, S, ...sample]. */
  alphas?: Map<string, Tensor>;
  /** Stop at this value and concretise over its interval instead of the input set (IBP's last-layer step). */
  stopAt?: string;
  safety: number;
}

/**
 * The backward linear pass: bounds on A·v for the value `start` (v = [N, ...d], A = [N, S, ...d]) using the
 * relaxations of every op between the input and `start`, with the intermediate intervals given.
 * Returns [N, S] lower bounds (when lA is given) and upper bounds (when uA is given).
 */
export function backwardBounds(
  graph: BoundGraph,
  intervals: Map<string, Interval>,
  ball: InputBall,
  start: string,
  lA0: Tensor | null,
  uA0: Tensor | null,
  options: BackwardOptions,
): { lower: Tensor | null; upper: Tensor | null } {
  return tidy(() => {
    const protectedTensors = new Set<Tensor>([lA0, uA0].filter((t): t is Tensor => t !== null));
    const refs = new Map<Tensor, number>();
    const ref = (t: Tensor | null): void => {
      if (t) refs.set(t, (refs.get(t) ?? 0) + 1);
    };
    const unref = (t: Tensor | null): void => {
      if (!t) return;
      const n = (refs.get(t) ?? 0) - 1;
      if (n > 0) refs.set(t, n);
      else {
        refs.delete(t);
        if (!protectedTensors.has(t)) t.dispose();
      }
    };
    const coeffs = new Map<string, Coefficients>();
    coeffs.set(start, { lA: lA0, uA: uA0 });
    ref(lA0);
    ref(uA0);
    const ref0 = lA0 ?? uA0!;
    const [n, s] = [ref0.shape[0]!, ref0.shape[1]!];
    let lBias: Tensor | null = lA0 ? tf.zeros([n, s]) : null;
    let uBias: Tensor | null = uA0 ? tf.zeros([n, s]) : null;
    const addBias = (acc: Tensor | null, b: Tensor | null): Tensor | null => {
      if (!acc || !b) return acc;
      const sum = tf.add(acc, b);
      acc.dispose();
      b.dispose();
      return sum;
    };
    let startIndex = graph.nodes.findIndex((node) => node.outputs.includes(start));
    if (start === graph.inputName) startIndex = -1;
    for (let i = startIndex; i >= 0; i--) {
      const node = graph.nodes[i]!;
      const out = node.outputs[0]!;
      if (out === options.stopAt) continue;
      const c = coeffs.get(out);
      if (!c) continue;
      coeffs.delete(out);
      const ctx: CrownContext = {
        ...ruleContext(graph, i, intervals),
        lA: c.lA,
        uA: c.uA,
        outputShape: intervals.get(out)!.lower.shape,
        alpha: options.alphas?.get(node.name),
      };
      const step = graph.rules.get(node.name)!.crown(ctx);
      lBias = addBias(lBias, step.lBias);
      uBias = addBias(uBias, step.uBias);
      const fresh: Tensor[] = [];
      node.inputs.forEach((name, j) => {
        const d = step.inputs[j];
        if (!d || !graph.perturbed.has(name)) return;
        fresh.push(...[d.lA, d.uA].filter((t): t is Tensor => t !== null));
        const existing = coeffs.get(name);
        if (!existing) {
          coeffs.set(name, { lA: d.lA, uA: d.uA });
          ref(d.lA);
          ref(d.uA);
          return;
        }
        const merged = { lA: existing.lA && d.lA ? tf.add(existing.lA, d.lA) : existing.lA, uA: existing.uA && d.uA ? tf.add(existing.uA, d.uA) : existing.uA };
        if (merged.lA !== existing.lA) {
          ref(merged.lA);
          unref(existing.lA);
        }
        if (merged.uA !== existing.uA) {
          ref(merged.uA);
          unref(existing.uA);
        }
        coeffs.set(name, merged);
      });
      unref(c.lA);
      unref(c.uA);
      for (const t of fresh) if (!refs.has(t) && !protectedTensors.has(t) && !t.isDisposed) t.dispose();
    }
    const target = options.stopAt ?? graph.inputName;
    const final = coeffs.get(target);
    const concretize = (a: Tensor, side: 'lower' | 'upper'): Tensor =>
      options.stopAt ? concretizeInterval(a, intervals.get(options.stopAt)!, side) : concretizeInput(a, ball, side);
    let lower: Tensor | null = null;
    let upper: Tensor | null = null;
    if (lBias) lower = widen(final?.lA ? tf.add(lBias, concretize(final.lA, 'lower')) : lBias, options.safety, 'lower');
    if (uBias) upper = widen(final?.uA ? tf.add(uBias, concretize(final.uA, 'upper')) : uBias, options.safety, 'upper');
    return { lower, upper };
  });
}

/** Identity specification rows [s0, s1) for a value of sample shape d, tiled over N: [N, s1−s0, ...d]. */
function identityRows(n: number, s0: number, s1: number, sample: readonly number[]): Tensor {
  return tf.tidy(() => {
    const m = sample.reduce((a, b) => a * b, 1);
    // oneHot needs depth ≥ 2; extra columns of a 1-neuron value are sliced off.
    const depth = Math.max(m, 2);
    const rows = tf.slice(tf.cast(tf.oneHot(tf.range(s0, s1, 1, 'int32'), depth), 'float32'), [0, 0], [s1 - s0, m]);
    return tf.tile(tf.reshape(rows, [1, s1 - s0, ...sample]), [n, 1, ...sample.map(() => 1)]);
  });
}

/** CROWN lower and upper bounds of every element of a value, chunked over neurons. */
export function crownValueBounds(graph: BoundGraph, intervals: Map<string, Interval>, ball: InputBall, value: string, options: PropagationOptions): Interval {
  const shape = intervals.get(value)!.lower.shape;
  const [n, sample] = [shape[0], shape.slice(1)];
  const m = sample.reduce((a, b) => a * b, 1);
  let width = 1;
  for (const v of intervals.values()) width = Math.max(width, v.lower.size / n);
  const chunk = Math.max(1, Math.min(m, Math.floor(options.chunkElements / (n * width))));
  const lowers: Tensor[] = [];
  const uppers: Tensor[] = [];
  for (let s0 = 0; s0 < m; s0 += chunk) {
    const s1 = Math.min(m, s0 + chunk);
    const spec = identityRows(n, s0, s1, sample);
    const b = backwardBounds(graph, intervals, ball, value, spec, spec, { safety: options.safety });
    spec.dispose();
    lowers.push(b.lower!);
    uppers.push(b.upper!);
  }
  return tidy(() => {
    const lower = tf.reshape(lowers.length === 1 ? lowers[0]! : tf.concat(lowers, 1), shape);
    const upper = tf.reshape(uppers.length === 1 ? uppers[0]! : tf.concat(uppers, 1), shape);
    for (const t of [...lowers, ...uppers]) if (t !== lower && t !== upper) t.dispose();
    return { lower, upper };
  });
}

/**
 * The forward pass: an interval for every value (input box, then each node's IBP rule). With
 * `intermediate: 'crown'`, the inputs of nonlinear ops (ReLU, Sigmoid, Tanh, MaxPool) that lie behind a
 * nonlinearity (or any, for L2 balls) are tightened to the intersection of their IBP and CROWN intervals.
 * The caller owns the returned tensors (dispose with {@link disposeIntervals}).
 */
export function forwardBounds(graph: BoundGraph, ball: InputBall, options: Partial<PropagationOptions> = {}): Map<string, Interval> {
  const opts = { ...defaultPropagation, ...options };
  const intervals = new Map<string, Interval>();
  const box = inputBox(ball);
  intervals.set(graph.inputName, box);
  const consumers = new Map<string, string[]>();
  for (const node of graph.nodes) for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node.name]);
  const nonlinearNodes = new Set(graph.nodes.filter((nd) => graph.rules.get(nd.name)?.nonlinear).map((nd) => nd.name));
  const behindNonlinear = new Set<string>();
  try {
    graph.nodes.forEach((node, index) => {
      const out = node.outputs[0]!;
      const ctx = ruleContext(graph, index, intervals);
      const rule = graph.rules.get(node.name)!;
      const raw = rule.ibp(ctx);
      const aliased = ctx.inputs.some((v) => v && (v.lower === raw.lower || v.upper === raw.upper));
      // Widen by the float32 safety margin (not after ops that only move values); pass-through rules
      // (Identity) get their own tensors so every value can be disposed.
      let interval: Interval;
      if (rule.exact) interval = aliased ? { lower: raw.lower.clone(), upper: raw.upper.clone() } : raw;
      else {
        interval = tidy(() => ({ lower: widen(raw.lower, opts.safety, 'lower'), upper: widen(raw.upper, opts.safety, 'upper') }));
        if (!aliased) tf.dispose([raw.lower, raw.upper]);
      }
      intervals.set(out, interval);
      if (nonlinearNodes.has(node.name) || node.inputs.some((i) => behindNonlinear.has(i))) behindNonlinear.add(out);
      const feedsNonlinear = (consumers.get(out) ?? []).some((c) => nonlinearNodes.has(c));
      const numel = interval.lower.size / interval.lower.shape[0]!;
      const worthIt = ball.norm === 'l2' ? !nonlinearNodes.has(node.name) : behindNonlinear.has(out) && !nonlinearNodes.has(node.name);
      if (opts.intermediate === 'crown' && feedsNonlinear && worthIt && numel <= opts.maxCrownNeurons) {
        const crown = crownValueBounds(graph, intervals, ball, out, opts);
        const tight = tidy(() => ({ lower: tf.maximum(interval.lower, crown.lower), upper: tf.minimum(interval.upper, crown.upper) }));
        tf.dispose([crown.lower, crown.upper, interval.lower, interval.upper]);
        intervals.set(out, tight);
      }
    });
  } catch (e) {
    disposeIntervals(intervals);
    throw e;
  }
  return intervals;
}

export function disposeIntervals(intervals: Map<string, Interval>): void {
  for (const v of intervals.values()) tf.dispose([v.lower, v.upper]);
  intervals.clear();
}
