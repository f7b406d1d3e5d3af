/**
 * Sound linear relaxations of increasing S-shaped activations (Sigmoid, Tanh: convex on x ≤ 0, concave on
 * x ≥ 0, derivative unimodal with its maximum at 0), as in CROWN (Zhang et al. 2018):
 * - l ≥ 0 (concave part): upper = tangent at the midpoint, lower = chord;
 * - u ≤ 0 (convex part): lower = tangent at the midpoint, upper = chord;
 * - l < 0 < u: both lines take slope k = min(f'(l), f'(u)); since f' ≥ k on [l, u] (unimodal f'), f(x) − k·x is
 *   non-decreasing there, so k·x + f(l) − k·l ≤ f(x) ≤ k·x + f(u) − k·u. (CROWN's tangent search is tighter;
 *   this one is simple and provably sound.)
 * - u − l < 1e-4: constant bounds f(l) ≤ f(x) ≤ f(u) (avoids float32 cancellation in the chord).
 * Intercepts are widened by 1e-6·(1 + max(|l|, |u|)) to absorb float32 rounding of f.
 */
import { tf, type Tensor } from '../../engine/tf.js';
import type { CrownContext, CrownStep, Interval } from './define.js';
import { tidy } from './linear.js';

export interface SShapedFunction {
  f: (x: Tensor) => Tensor;
  derivative: (x: Tensor) => Tensor;
}

export interface LinearRelaxation {
  lowerSlope: Tensor;
  lowerIntercept: Tensor;
  upperSlope: Tensor;
  upperIntercept: Tensor;
}

export function sShapedRelaxation(fn: SShapedFunction, pre: Interval): LinearRelaxation {
  const { lower: l, upper: u } = pre;
  const fl = fn.f(l);
  const fu = fn.f(u);
  const m = tf.mul(tf.add(l, u), 0.5);
  const fm = fn.f(m);
  const dm = fn.derivative(m);
  const width = tf.sub(u, l);
  // Masks by tf.step (zero gradient) and selections by arithmetic, so the relaxation is differentiable.
  const narrow = tf.step(tf.sub(1e-4, width)); // 1 where u − l < 1e-4
  const wide = tf.sub(1, narrow);
  const safeWidth = tf.add(tf.mul(width, wide), narrow);
  const chord = tf.div(tf.sub(fu, fl), safeWidth);
  const k = tf.minimum(fn.derivative(l), fn.derivative(u));
  const concave = tf.sub(1, tf.step(tf.neg(l))); // l ≥ 0
  const convex = tf.sub(1, tf.step(u)); // u ≤ 0
  const crossing = tf.mul(tf.sub(1, concave), tf.sub(1, convex));
  const pick = (a: Tensor, b: Tensor, c: Tensor): Tensor => tf.addN([tf.mul(concave, a), tf.mul(convex, b), tf.mul(crossing, c)]);
  const tangentIntercept = tf.sub(fm, tf.mul(dm, m));
  const chordIntercept = tf.sub(fl, tf.mul(chord, l));
  let lowerSlope = pick(chord, dm, k);
  let lowerIntercept = pick(chordIntercept, tangentIntercept, tf.sub(fl, tf.mul(k, l)));
  let upperSlope = pick(dm, chord, k);
  let upperIntercept = pick(tangentIntercept, chordIntercept, tf.sub(fu, tf.mul(k, u)));
  lowerSlope = tf.mul(lowerSlope, wide);
  lowerIntercept = tf.add(tf.mul(lowerIntercept, wide), tf.mul(fl, narrow));
  upperSlope = tf.mul(upperSlope, wide);
  upperIntercept = tf.add(tf.mul(upperIntercept, wide), tf.mul(fu, narrow));
  const slack = tf.mul(tf.add(1, tf.maximum(tf.abs(l), tf.abs(u))), 1e-6);
  return { lowerSlope, lowerIntercept: tf.sub(lowerIntercept, slack), upperSlope, upperIntercept: tf.add(upperIntercept, slack) };
}

/** One CROWN step through a relaxation given as lines (shared by Sigmoid and Tanh). */
export function crownThroughLines(ctx: CrownContext, r: LinearRelaxation): CrownStep {
  return tidy(() => {
    const spec = (t: Tensor): Tensor => tf.expandDims(t, 1);
    const [kl, bl, ku, bu] = [r.lowerSlope, r.lowerIntercept, r.upperSlope, r.upperIntercept].map(spec) as [Tensor, Tensor, Tensor, Tensor];
    const sum = (t: Tensor): Tensor => tf.sum(tf.reshape(t, [t.shape[0]!, t.shape[1]!, -1]), 2);
    let lA = null;
    let uA = null;
    let lBias = null;
    let uBias = null;
    if (ctx.lA) {
      const pos = tf.relu(ctx.lA);
      const neg = tf.minimum(ctx.lA, 0);
      lA = tf.add(tf.mul(pos, kl), tf.mul(neg, ku));
      lBias = sum(tf.add(tf.mul(pos, bl), tf.mul(neg, bu)));
    }
    if (ctx.uA) {
      const pos = tf.relu(ctx.uA);
      const neg = tf.minimum(ctx.uA, 0);
      uA = tf.add(tf.mul(pos, ku), tf.mul(neg, kl));
      uBias = sum(tf.add(tf.mul(pos, bu), tf.mul(neg, bl)));
    }
    return { inputs: [{ lA, uA }], lBias, uBias };
  });
}
