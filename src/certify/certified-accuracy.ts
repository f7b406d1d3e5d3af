/**
 * Certified accuracy of a model under bound propagation: for each method (IBP, CROWN-IBP, CROWN, α-CROWN) and
 * each radius ε, the fraction of samples whose every margin lower bound logit_y − logit_j (j ≠ y) is > 0 over
 * the L∞ or L2 ball of radius ε intersected with the input bounds — a lower bound on robust accuracy (an attack
 * gives the matching upper bound). Optionally each sample's certified radius: the largest ε the method
 * verifies, found by bisection on [0, radiusMax] (monotone because the balls are nested and the bounds
 * monotone in ε; reported as the last verified midpoint, so it is itself a certified radius).
 * Samples are processed in batches; the graph comes from the model (ONNX graph or TF.js export).
 *
 * @example
 * const report = await certifiedAccuracy(await loadModel('builtin:mnist-mlp'), data, { methods: ['crown'], epsilons: [0.01] });
 * report.methods[0].results[0].certifiedAccuracy; // see docs/certify.md for measured values
 */
import { z } from 'zod';
import { tf, type Tensor } from '../engine/tf.js';
import type { Model } from '../engine/model.js';
import { RampartError } from '../errors.js';
import type { LoadedData } from '../data/load-all.js';
import { boundGraphFromModel, toGraphInput, type BoundGraph, type GraphInputLayout } from './bounds/graph.js';
import { verifiedFromMargins } from './bounds/margins.js';
import { defaultPropagation, type InputBall, type PropagationOptions } from './bounds/propagate.js';
import { ibpMarginBounds } from './ibp.js';
import { crownMarginBounds } from './crown.js';
import { alphaCrownMarginBounds, alphaCrownOptionsSchema } from './alpha-crown.js';

export const boundMethods = ['ibp', 'crown-ibp', 'crown', 'alpha-crown'] as const;
export type BoundMethod = (typeof boundMethods)[number];

export const certifiedAccuracyOptionsSchema = z
  .object({
    methods: z.array(z.enum(boundMethods)).min(1).default(['crown']),
    norm: z.enum(['linf', 'l2']).default('linf'),
    epsilons: z.array(z.number().nonnegative()).min(1, 'give at least one epsilon'),
    /** Samples per bound computation. */
    batchSize: z.number().int().positive().default(32),
    /** Also find every sample's certified radius by bisection. */
    radius: z.boolean().default(false),
    radiusSteps: z.number().int().positive().default(12),
    /** Upper end of the bisection (default: a quarter of the input range for linf, 2 × that range for l2). */
    radiusMax: z.number().positive().optional(),
    alphaCrown: alphaCrownOptionsSchema.default({}),
    /** Layers wider than this keep IBP intermediate bounds under CROWN. */
    maxCrownNeurons: z.number().int().positive().default(defaultPropagation.maxCrownNeurons),
    /** Relative float32 safety widening of every bound. */
    safety: z.number().nonnegative().default(defaultPropagation.safety),
  })
  .strict();
export type CertifiedAccuracyOptions = z.input<typeof certifiedAccuracyOptionsSchema>;

export interface CertifiedEpsilonResult {
  epsilon: number;
  certifiedAccuracy: number;
  certified: number;
  seconds: number;
}

export interface CertifiedMethodResult {
  method: BoundMethod;
  results: CertifiedEpsilonResult[];
  /** Per-sample certified radius (0 for misclassified samples) when requested. */
  radius?: { median: number; mean: number; max: number; perSample: number[] };
  seconds: number;
  secondsPerSample: number;
}

export interface CertifiedAccuracyReport {
  count: number;
  clean: { accuracy: number; correct: number };
  threat: { norm: 'linf' | 'l2'; epsilons: number[]; bounds: [number, number] };
  graph: { source: string; ops: string[]; maxCrownNeurons: number; safety: number };
  methods: CertifiedMethodResult[];
  /** Per sample: the clean prediction and, per method and ε (same order as `methods`/`epsilons`), 1 if certified. */
  perSample: { predicted: number[]; certified: Record<string, number[][]> };
}

/** Margin lower bounds [N, K] by one method. */
export function marginBounds(
  graph: BoundGraph,
  ball: InputBall,
  labels: Tensor,
  numClasses: number,
  method: BoundMethod,
  propagation: Partial<PropagationOptions> = {},
  alphaOptions: z.input<typeof alphaCrownOptionsSchema> = {},
): Tensor {
  if (method === 'ibp') return ibpMarginBounds(graph, ball, labels, numClasses, propagation.safety);
  if (method === 'crown-ibp') return crownMarginBounds(graph, ball, labels, numClasses, { ...propagation, intermediate: 'ibp' });
  if (method === 'crown') return crownMarginBounds(graph, ball, labels, numClasses, { ...propagation, intermediate: 'crown' });
  return alphaCrownMarginBounds(graph, ball, labels, numClasses, alphaOptions, { ...propagation, intermediate: 'crown' });
}

/** Verified (1/0) per sample of a batch at per-sample or shared radius. */
export async function verifyBatch(
  graph: BoundGraph,
  center: Tensor,
  labels: Int32Array,
  numClasses: number,
  method: BoundMethod,
  norm: 'linf' | 'l2',
  epsilon: number | Float32Array,
  bounds: readonly [number, number],
  propagation: Partial<PropagationOptions> = {},
  alphaOptions: z.input<typeof alphaCrownOptionsSchema> = {},
): Promise<Uint8Array> {
  const eps = typeof epsilon === 'number' ? epsilon : tf.tensor1d(epsilon);
  const y = tf.tensor1d(labels, 'int32');
  try {
    const lower = marginBounds(graph, { center, norm, epsilon: eps, bounds }, y, numClasses, method, propagation, alphaOptions);
    const data = (await lower.data()) as Float32Array;
    lower.dispose();
    return verifiedFromMargins(data, labels, numClasses);
  } finally {
    y.dispose();
    if (typeof eps !== 'number') eps.dispose();
  }
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function certifiedAccuracy(
  model: Model,
  data: LoadedData,
  options: CertifiedAccuracyOptions,
  onProgress?: (done: number, total: number, note: string) => void,
): Promise<CertifiedAccuracyReport> {
  const parsed = certifiedAccuracyOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new RampartError('BAD_OPTION', `certifiedAccuracy: invalid options (${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join(', ')}).`, { issues: parsed.error.issues });
  }
  const opts = parsed.data;
  const bounds = [model.bounds[0], model.bounds[1]] as [number, number];
  const { graph, layout } = boundGraphFromModel(model);
  const sampleSize = data.sampleShape.reduce((a, b) => a * b, 1);
  const k = model.numClasses;
  const propagation: Partial<PropagationOptions> = { maxCrownNeurons: opts.maxCrownNeurons, safety: opts.safety };
  const radiusMax = opts.radiusMax ?? (opts.norm === 'linf' ? (bounds[1] - bounds[0]) / 4 : 2 * (bounds[1] - bounds[0]));
  const predicted = new Int32Array(data.count);
  const certified: Record<string, Uint8Array[]> = {};
  const seconds: Record<string, number[]> = {};
  const radii: Record<string, Float64Array> = {};
  for (const m of opts.methods) {
    certified[m] = opts.epsilons.map(() => new Uint8Array(data.count));
    seconds[m] = opts.epsilons.map(() => 0);
    radii[m] = new Float64Array(data.count);
  }
  const methodSeconds: Record<string, number> = Object.fromEntries(opts.methods.map((m) => [m, 0]));
  const batches = Math.ceil(data.count / opts.batchSize);
  try {
    for (let b = 0; b < batches; b++) {
      const start = b * opts.batchSize;
      const end = Math.min(data.count, start + opts.batchSize);
      const n = end - start;
      const labels = data.y.slice(start, end);
      const x = tf.tensor(data.x.subarray(start * sampleSize, end * sampleSize), [n, ...data.sampleShape]);
      const center = toGraphInput(x, graph, layout as GraphInputLayout);
      try {
        const logits = await model.logits(x);
        const argmax = tf.argMax(logits, 1);
        const pred = (await argmax.data()) as Int32Array;
        tf.dispose([argmax, logits]);
        predicted.set(pred, start);
        for (const m of opts.methods) {
          const t0 = performance.now();
          for (let e = 0; e < opts.epsilons.length; e++) {
            const te = performance.now();
            const v = await verifyBatch(graph, center, labels, k, m, opts.norm, opts.epsilons[e]!, bounds, propagation, opts.alphaCrown);
            for (let i = 0; i < n; i++) certified[m]![e]![start + i] = v[i]! && pred[i] === labels[i] ? 1 : 0;
            seconds[m]![e]! += (performance.now() - te) / 1000;
          }
          if (opts.radius) {
            const lo = new Float32Array(n);
            const hi = new Float32Array(n).fill(radiusMax);
            for (let step = 0; step < opts.radiusSteps; step++) {
              const mid = Float32Array.from(lo, (l, i) => (l + hi[i]!) / 2);
              const v = await verifyBatch(graph, center, labels, k, m, opts.norm, mid, bounds, propagation, opts.alphaCrown);
              for (let i = 0; i < n; i++) {
                if (v[i]) lo[i] = mid[i]!;
                else hi[i] = mid[i]!;
              }
            }
            for (let i = 0; i < n; i++) radii[m]![start + i] = pred[i] === labels[i] ? lo[i]! : 0;
          }
          methodSeconds[m]! += (performance.now() - t0) / 1000;
        }
      } finally {
        tf.dispose([x, center]);
      }
      onProgress?.(end, data.count, `batch ${b + 1}/${batches}`);
    }
  } finally {
    graph.dispose();
  }
  const correct = predicted.reduce((s, p, i) => s + (p === data.y[i] ? 1 : 0), 0);
  return {
    count: data.count,
    clean: { accuracy: correct / Math.max(1, data.count), correct },
    threat: { norm: opts.norm, epsilons: opts.epsilons, bounds },
    graph: { source: graph.source, ops: [...new Set(graph.nodes.map((nd) => nd.opType))], maxCrownNeurons: opts.maxCrownNeurons, safety: opts.safety },
    methods: opts.methods.map((m) => {
      const results = opts.epsilons.map((epsilon, e) => {
        const c = certified[m]![e]!.reduce((s, v) => s + v, 0);
        return { epsilon, certifiedAccuracy: c / Math.max(1, data.count), certified: c, seconds: seconds[m]![e]! };
      });
      const out: CertifiedMethodResult = { method: m, results, seconds: methodSeconds[m]!, secondsPerSample: methodSeconds[m]! / Math.max(1, data.count) };
      if (opts.radius) {
        const r = Array.from(radii[m]!);
        out.radius = { median: median(r), mean: r.reduce((a, b) => a + b, 0) / Math.max(1, r.length), max: Math.max(0, ...r), perSample: r };
      }
      return out;
    }),
    perSample: { predicted: Array.from(predicted), certified: Object.fromEntries(opts.methods.map((m) => [m, certified[m]!.map((c) => Array.from(c))])) },
  };
}
