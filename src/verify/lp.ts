/**
 * Triangle (Planet) LP relaxation of a ReLU network on an input box, solved with HiGHS: tighter pre-activation
 * bounds layer by layer, and a sound lower bound on a linear function of the outputs.
 *
 * Paper: Ehlers, "Formal Verification of Piece-Wise Linear Feed-Forward Neural Networks", ATVA 2017,
 * https://arxiv.org/abs/1705.01320 (the relaxation); Salman, Yang, Zhang, Hsieh & Zhang, "A Convex Relaxation
 * Barrier to Tight Robustness Verification of Neural Networks", NeurIPS 2019, https://arxiv.org/abs/1902.08722
 * (layer-by-layer LP bounds are the tightest single-neuron convex relaxation).
 *
 * For layer k the LP encodes layers 0..k with the already tightened bounds of layers < k, then minimises and
 * maximises each selected pre-activation of layer k on one persistent HiGHS model (warm-started simplex).
 * Soundness does not rest on the solver's tolerances: each new bound is the weak-duality bound of the returned
 * duals (`dualObjectiveBound` in highs.ts), valid for any multipliers, and is only used if it is tighter than the
 * bound given. A failed or timed-out solve keeps the given bound, so the result is never looser than the input
 * and never unsound.
 *
 * @example
 * const tight = await lpTightenBounds(net, box, intervalBounds(net, box), { timeoutMs: 2000 });
 * const min = await lpMinimise(net, box, tight, Float64Array.of(1, -1), { timeoutMs: 1000 }); // ≤ min (Y0 − Y1)
 */
import { z } from 'zod';
import { RampartError } from '../errors.js';
import type { InputBox, ReluNetwork } from './problem.js';
import type { LayerBounds } from './interval.js';
import { dualObjectiveBound, loadHighs, PersistentLinearModel, type LinearTerm } from './highs.js';
import { encodeNetwork, widenLower, widenUpper } from './encode-network.js';

export const lpTightenOptionsSchema = z
  .object({
    /** Wall-clock budget for the whole tightening; layers not reached keep their given bounds. */
    timeoutMs: z.number().positive(),
    /** Which neurons of the hidden layers to optimise: only unstable ones (default) or all. */
    neurons: z.enum(['unstable', 'all']).default('unstable'),
    /** Also tighten the output layer (every output). */
    outputs: z.boolean().default(true),
  })
  .strict();
export type LpTightenOptions = z.input<typeof lpTightenOptionsSchema>;

function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `${where}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}.`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

function copyBounds(bounds: readonly LayerBounds[]): { lower: Float64Array; upper: Float64Array }[] {
  return bounds.map((b) => ({ lower: Float64Array.from(b.lower), upper: Float64Array.from(b.upper) }));
}

/**
 * Pre-activation bounds at least as tight as `bounds` (element-wise), from the triangle LP of each layer. Layer 0
 * is exact from interval arithmetic on a box and is kept. Also useful to stop early: a neuron proved stable
 * removes a binary from the MILP and a case split from branch and bound.
 */
export async function lpTightenBounds(network: ReluNetwork, box: InputBox, bounds: readonly LayerBounds[], options: LpTightenOptions): Promise<LayerBounds[]> {
  const settings = parse(lpTightenOptionsSchema, options, 'lpTightenBounds options');
  const deadline = performance.now() + settings.timeoutMs;
  const tightened = copyBounds(bounds);
  const highs = await loadHighs();
  const last = network.layers.length - 1;
  for (let k = 1; k <= last; k++) {
    if (k === last && !settings.outputs) break;
    const current = tightened[k];
    // One interval step from the already tightened layer k−1 often settles most neurons before any LP.
    intersectIntervalStep(network, k, tightened[k - 1], current);
    const selected: number[] = [];
    for (let j = 0; j < network.layers[k].outSize; j++) {
      if (k === last || settings.neurons === 'all' || (current.lower[j] < 0 && current.upper[j] > 0)) selected.push(j);
    }
    if (selected.length === 0) continue;
    if (performance.now() >= deadline) break;
    const encoding = encodeNetwork(network, box, tightened, { relaxation: 'triangle', lastLayer: k });
    let persistent: PersistentLinearModel | undefined;
    try {
      persistent = new PersistentLinearModel(highs, encoding.model);
      for (const j of selected) {
        const z = encoding.preActivations[k][j];
        for (const sense of ['lower', 'upper'] as const) {
          const remaining = (deadline - performance.now()) / 1000;
          if (remaining <= 0) break;
          // Both directions as minimisations: min z, and min −z (= −max z).
          const objective: LinearTerm[] = [{ variable: z, coefficient: sense === 'lower' ? 1 : -1 }];
          persistent.setObjective(objective, 'minimize');
          const result = persistent.solve({ timeLimitSeconds: remaining, presolve: 'off', simplexStrategy: 1 });
          if (result.status !== 'optimal' || !result.constraintDuals) continue;
          const bound = dualObjectiveBound(encoding.model, objective, result.constraintDuals);
          if (!Number.isFinite(bound)) continue;
          if (sense === 'lower') current.lower[j] = Math.max(current.lower[j], bound);
          else current.upper[j] = Math.min(current.upper[j], -bound);
        }
        // Rounding could cross the bounds on a degenerate (constant) neuron; keep an interval.
        if (current.lower[j] > current.upper[j]) {
          const mid = current.lower[j];
          current.lower[j] = Math.min(mid, current.upper[j]);
          current.upper[j] = Math.max(mid, current.upper[j]);
        }
      }
    } catch (error) {
      if (error instanceof RampartError && error.code !== 'INTERNAL') throw error;
      // Any solver failure: keep the bounds we have (sound).
    } finally {
      persistent?.dispose();
    }
  }
  return tightened;
}

/** current ∩ interval image of relu(previous) through layer k (in place). */
function intersectIntervalStep(network: ReluNetwork, k: number, previous: LayerBounds, current: { lower: Float64Array; upper: Float64Array }): void {
  const layer = network.layers[k];
  for (let row = 0; row < layer.outSize; row++) {
    let lo = layer.bias[row];
    let hi = lo;
    for (let col = 0; col < layer.inSize; col++) {
      const w = layer.weights[row * layer.inSize + col];
      const inLo = Math.max(previous.lower[col], 0);
      const inHi = Math.max(previous.upper[col], 0);
      if (w >= 0) {
        lo += w * inLo;
        hi += w * inHi;
      } else {
        lo += w * inHi;
        hi += w * inLo;
      }
    }
    // Widened by the encoding slack: this Float64 sum may round either way.
    current.lower[row] = Math.max(current.lower[row], widenLower(lo));
    current.upper[row] = Math.min(current.upper[row], widenUpper(hi));
  }
}

export const lpMinimiseOptionsSchema = z.object({ timeoutMs: z.number().positive() }).strict();
export type LpMinimiseOptions = z.input<typeof lpMinimiseOptionsSchema>;

/**
 * A sound lower bound on min objective·y over the triangle relaxation (hence over the network on the box), or
 * the interval bound if the LP fails or times out. Add a specification row c as `objective` to bound c·y.
 */
export async function lpMinimise(network: ReluNetwork, box: InputBox, bounds: readonly LayerBounds[], objective: Float64Array, options: LpMinimiseOptions): Promise<number> {
  const settings = parse(lpMinimiseOptionsSchema, options, 'lpMinimise options');
  if (objective.length !== network.outputSize) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `lpMinimise: the objective has ${objective.length} coefficients but the network has ${network.outputSize} outputs.`);
  }
  const outputBounds = bounds[bounds.length - 1];
  let fallback = 0;
  objective.forEach((c, j) => {
    fallback += c >= 0 ? c * outputBounds.lower[j] : c * outputBounds.upper[j];
  });
  const highs = await loadHighs();
  const encoding = encodeNetwork(network, box, bounds, { relaxation: 'triangle' });
  const terms: LinearTerm[] = [];
  objective.forEach((c, j) => {
    if (c !== 0) terms.push({ variable: encoding.outputs[j], coefficient: c });
  });
  if (terms.length === 0) return 0;
  let persistent: PersistentLinearModel | undefined;
  try {
    persistent = new PersistentLinearModel(highs, encoding.model);
    persistent.setObjective(terms, 'minimize');
    const result = persistent.solve({ timeLimitSeconds: settings.timeoutMs / 1000 });
    if (result.status !== 'optimal' || !result.constraintDuals) return fallback;
    const bound = dualObjectiveBound(encoding.model, terms, result.constraintDuals);
    return Number.isFinite(bound) ? Math.max(bound, fallback) : fallback;
  } catch (error) {
    if (error instanceof RampartError && error.code !== 'INTERNAL') throw error;
    return fallback;
  } finally {
    persistent?.dispose();
  }
}
