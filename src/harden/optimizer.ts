/**
 * Host-side optimizers over named Float32Array weights, shared by both training engines (ONNX Runtime and
 * tfjs), so checkpoints hold one optimizer state format:
 * - SGD with (heavy-ball) momentum as PyTorch defines it: m ← μm + g, w ← w − ηm;
 * - Adam (Kingma & Ba 2015, https://arxiv.org/abs/1412.6980) with bias correction.
 * Regularisation applied to the gradient before the step: L2 weight decay (g += λ₂w, coupled, as PyTorch's
 * `weight_decay`), L1 (g += λ₁ sign w); then gradient clipping by global norm (all weights together, as
 * `clip_grad_norm_`) and/or by value (`clip_grad_value_`).
 * @example
 * const opt = createOptimizer({ kind: 'sgd', momentum: 0.9, clipNorm: 1 });
 * opt.step(weights, grads, 0.01);
 */
import { z } from 'zod';

export const optimizerSchema = z
  .object({
    kind: z.enum(['sgd', 'adam']).default('adam'),
    momentum: z.number().min(0).max(1).default(0.9),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
    /** L2 weight decay λ₂ (gradient += λ₂·w). */
    weightDecay: z.number().min(0).default(0),
    /** L1 penalty λ₁ (gradient += λ₁·sign(w)). */
    l1: z.number().min(0).default(0),
    /** Clip the global gradient norm to this value (0 = off). */
    clipNorm: z.number().min(0).default(0),
    /** Clip each gradient entry to [−v, v] (0 = off). */
    clipValue: z.number().min(0).default(0),
  })
  .strict();
export type OptimizerOptions = z.output<typeof optimizerSchema>;

export interface OptimizerState {
  steps: number;
  first: Record<string, Float32Array>;
  second: Record<string, Float32Array>;
}

export interface HostOptimizer {
  readonly options: OptimizerOptions;
  /** Updates `weights` in place from `gradients` (mean-loss gradients; mutated by regularisation and clipping). */
  step(weights: ReadonlyMap<string, Float32Array>, gradients: ReadonlyMap<string, Float32Array>, learningRate: number): { gradientNorm: number; clippedNorm: number };
  state(): OptimizerState;
  restore(state: OptimizerState): void;
}

/** The global L2 norm of a set of gradients. */
export function globalNorm(gradients: Iterable<Float32Array>): number {
  let sum = 0;
  for (const g of gradients) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

export function createOptimizer(input: z.input<typeof optimizerSchema> = {}): HostOptimizer {
  const options = optimizerSchema.parse(input);
  let steps = 0;
  let first = new Map<string, Float32Array>();
  let second = new Map<string, Float32Array>();
  const slot = (map: Map<string, Float32Array>, name: string, size: number) => {
    let v = map.get(name);
    if (!v) map.set(name, (v = new Float32Array(size)));
    return v;
  };
  return {
    options,
    step(weights, gradients, learningRate) {
      for (const [name, g] of gradients) {
        const w = weights.get(name);
        if (!w) continue;
        if (options.weightDecay > 0) for (let i = 0; i < g.length; i++) g[i] += options.weightDecay * w[i];
        if (options.l1 > 0) for (let i = 0; i < g.length; i++) g[i] += options.l1 * Math.sign(w[i]);
      }
      const gradientNorm = globalNorm(gradients.values());
      if (options.clipNorm > 0 && gradientNorm > options.clipNorm) {
        const scale = options.clipNorm / gradientNorm;
        for (const g of gradients.values()) for (let i = 0; i < g.length; i++) g[i] *= scale;
      }
      if (options.clipValue > 0) {
        const v = options.clipValue;
        for (const g of gradients.values()) for (let i = 0; i < g.length; i++) g[i] = Math.min(v, Math.max(-v, g[i]));
      }
      const clippedNorm = options.clipNorm > 0 || options.clipValue > 0 ? globalNorm(gradients.values()) : gradientNorm;
      steps++;
      const { beta1, beta2, epsilon, momentum } = options;
      const c1 = 1 - beta1 ** steps;
      const c2 = 1 - beta2 ** steps;
      for (const [name, g] of gradients) {
        const w = weights.get(name);
        if (!w) continue;
        const m = slot(first, name, w.length);
        if (options.kind === 'sgd') {
          for (let i = 0; i < w.length; i++) {
            m[i] = momentum * m[i] + g[i];
            w[i] -= learningRate * m[i];
          }
        } else {
          const v = slot(second, name, w.length);
          for (let i = 0; i < w.length; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            w[i] -= (learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
          }
        }
      }
      return { gradientNorm, clippedNorm };
    },
    state: () => ({
      steps,
      first: Object.fromEntries([...first].map(([k, v]) => [k, Float32Array.from(v)])),
      second: Object.fromEntries([...second].map(([k, v]) => [k, Float32Array.from(v)])),
    }),
    restore(state) {
      steps = state.steps;
      first = new Map(Object.entries(state.first).map(([k, v]) => [k, Float32Array.from(v)]));
      second = new Map(Object.entries(state.second).map(([k, v]) => [k, Float32Array.from(v)]));
    },
  };
}
