/**
 * The attack harness: the trust boundary between attack algorithms and the numbers Rampart reports.
 *
 * Attacks only *propose* adversarial inputs. The harness
 * 1. validates the whole request before any compute (unknown attack, norm the attack does not handle, gradients
 *    needed but the model is a black box, targeted goal on an attack that cannot target, bad ε, bad options) and
 *    reports every problem in one `RampartError`;
 * 2. chooses targets for targeted goals (given, seeded random among the wrong classes, or least likely);
 * 3. runs fixed-ε attacks once per ε and minimization attacks once for the whole sweep, only on the samples the
 *    model gets right (under the cascade, only on those still robust), through a wrapper that counts forward and
 *    gradient queries per sample;
 * 4. checks every proposal: a wrong shape, a non-finite value, or a point outside the ε-ball or the bounds by more
 *    than the tolerance makes it *invalid*: it is replaced by the clean input, counted, and never a success;
 * 5. projects onto the ε-ball and clips to the bounds, then **re-verifies** every example with an independent
 *    forward pass (ONNX Runtime where the model has an ONNX twin, else a fresh TF.js forward) and counts success
 *    only from that pass;
 * 6. computes robust accuracy, attack success rate, robustness score, perturbation sizes, confidence, queries and
 *    seconds per (attack, ε), and the per-sample worst case over attacks per ε.
 *
 * @example
 * const model = await loadModel('builtin:mnist-cnn');
 * const data = await openDataset('mnist:test', { limit: 200 });
 * const verifier = await createVerifier(model, { onnxFile: 'models/mnist-cnn/model.onnx' });
 * const report = await runAttacks({ model, data, verifier, attacks: [{ id: 'fgsm' }, { id: 'pgd' }], norm: 'linf', epsilons: [0.1, 0.3] });
 * report.worstCase; // [{ norm: 'linf', epsilon: 0.1, robustAccuracy: ... }, ...] (figures in docs/attacks.md)
 */
import fs from 'node:fs';
import { z } from 'zod';
import { tf, type Tensor, type Tensor2D } from '../engine/tf.js';
import { isDifferentiable, type DifferentiableModel, type Model } from '../engine/model.js';
import { createRandom } from '../engine/random.js';
import type { Dataset } from '../data/dataset.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import {
  attackSuccessRate,
  cleanAccuracy,
  distribution,
  maskedDistribution,
  medianMinimalPerturbation,
  perturbationSizes,
  predictedProbability,
  robustAccuracy,
  robustnessScore,
  type Distribution,
  type PerturbationSizes,
} from '../metrics/robustness.js';
import { RampartError } from '../errors.js';
import { goalSchema, norms, threatModel, type Goal, type Norm, type ThreatModel, type ThreatModelInput } from '../threat/threat-model.js';
import { clipToBounds, projectToThreat } from '../threat/norms.js';
import type { AnyAttackDefinition, AttackKnowledge } from './define.js';
import type { AttackRegistry } from './registry.js';
import { attackRegistry } from './builtin.js';
import { selectRows } from './rows.js';
import { samplesToAttack, worstCaseSuccess, type ResolvedPreset } from './cascade.js';

/** Slack allowed when checking that a proposal lies in the ball / bounds (float32 rounding). */
export const TOLERANCE = 1e-6;

// ---------------------------------------------------------------------------------------------------------------
// Query counting and the independent verifier
// ---------------------------------------------------------------------------------------------------------------

export interface QueryCounts {
  /** Samples sent through forward passes (logits). */
  forward: number;
  /** Samples sent through loss-and-gradient passes. */
  gradient: number;
}

/**
 * Wraps a model for an attack: counts queries per sample, exposes gradients only to attacks that declare they
 * need them, and makes `dispose` a no-op (the harness owns the model).
 */
export function countingModel(model: Model, knowledge: AttackKnowledge): { model: Model; counts: QueryCounts } {
  const counts: QueryCounts = { forward: 0, gradient: 0 };
  const base: Model = {
    id: model.id,
    format: model.format,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    bounds: model.bounds,
    logits: (x) => {
      counts.forward += x.shape[0];
      return model.logits(x);
    },
    dispose: () => undefined,
  };
  if (knowledge !== 'gradients' || !isDifferentiable(model)) return { model: base, counts };
  const differentiable: DifferentiableModel = {
    ...base,
    logitsSync: (x) => {
      // A forward pass taken inside tf.grad (C&W, DeepFool, JSMA differentiate their own objectives) is a
      // gradient query: the engine's gradient depth tells the two apart.
      if (tf.engine().state.gradientDepth > 0) counts.gradient += x.shape[0];
      else counts.forward += x.shape[0];
      return model.logitsSync(x);
    },
    lossAndGradient: (x, labels, loss, targets) => {
      counts.gradient += x.shape[0];
      // gradients estimated from forward passes (withEstimatedGradients) also cost forward queries
      counts.forward += x.shape[0] * ((model as { forwardQueriesPerGradient?: number }).forwardQueriesPerGradient ?? 0);
      return model.lossAndGradient(x, labels, loss, targets);
    },
    lossAndGradientSync: (x, labels, loss, targets) => {
      counts.gradient += x.shape[0];
      return model.lossAndGradientSync(x, labels, loss, targets);
    },
  };
  return { model: differentiable, counts };
}

export type VerifierKind = 'onnxruntime' | 'tfjs';

/** The independent forward pass that decides success. */
export interface Verifier {
  /** Only `logits` is used. */
  model: Model;
  kind: VerifierKind;
  /** Where it comes from, for the report. */
  source: string;
  /** Releases what the verifier opened (not the attacked model). */
  dispose(): void;
}

/**
 * The verifier for a model: its ONNX Runtime path (ONNX models), an ONNX Runtime session on a sibling ONNX file
 * (TF.js models shipped with one, e.g. the built-in models), or else a fresh TF.js forward through `logits`.
 */
export async function createVerifier(model: Model, options: { onnxFile?: string } = {}): Promise<Verifier> {
  const ort = (model as Partial<{ logitsOrt: (x: Tensor) => Promise<Tensor2D> }>).logitsOrt;
  if (model.format === 'onnx' && typeof ort === 'function') {
    return { model: { ...modelShape(model), logits: (x) => ort(x), dispose: () => undefined }, kind: 'onnxruntime', source: `${model.id} (ONNX Runtime)`, dispose: () => undefined };
  }
  if (options.onnxFile && fs.existsSync(options.onnxFile)) {
    const { loadOnnxModel } = await import('../engine/onnx/index.js');
    const twin = await loadOnnxModel(options.onnxFile, { forwardOnly: true, bounds: model.bounds, id: options.onnxFile });
    const same = twin.numClasses === model.numClasses && twin.inputShape.length === model.inputShape.length && twin.inputShape.every((d, i) => d === model.inputShape[i]);
    if (same) return { model: twin, kind: 'onnxruntime', source: `${options.onnxFile} (ONNX Runtime)`, dispose: () => twin.dispose() };
    twin.dispose();
  }
  return { model, kind: 'tfjs', source: `${model.id} (fresh ${model.format} forward)`, dispose: () => undefined };
}

function modelShape(model: Model): Pick<Model, 'id' | 'format' | 'inputShape' | 'numClasses' | 'bounds'> {
  return { id: model.id, format: model.format, inputShape: model.inputShape, numClasses: model.numClasses, bounds: model.bounds };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation (before any compute)
// ---------------------------------------------------------------------------------------------------------------

export const attackRequestSchema = z.object({
  id: z.string().min(1),
  /** Attack options; validated by the attack's own schema. */
  options: z.record(z.unknown()).default({}),
});
export type AttackRequest = z.input<typeof attackRequestSchema>;

export const runAttacksOptionsSchema = z
  .object({
    attacks: z.array(attackRequestSchema).min(1, 'give at least one attack'),
    norm: z.enum(norms),
    epsilons: z.array(z.number()).min(1, 'give at least one epsilon'),
    goal: goalSchema.default({ kind: 'untargeted' }),
    /** Seed of every random choice (targets, random starts). */
    seed: z.number().int().nonnegative().default(0),
    /** Samples per attack batch. */
    batchSize: z.number().int().positive().default(100),
    /** Run later attacks only on points still robust at each ε. */
    cascade: z.boolean().default(false),
    /** Keep the worst-case adversarial examples at the largest ε (for --save-adversarial). */
    keepAdversarial: z.boolean().default(false),
  })
  .strict();
export type RunAttacksConfig = z.input<typeof runAttacksOptionsSchema>;

export interface RunAttacksOptions extends RunAttacksConfig {
  model: Model;
  data: Dataset;
  /** Target labels aligned with the data, for goal {kind: 'targeted', targets: 'given'}. */
  targets?: Int32Array;
  /** The independent forward pass; default `createVerifier(model)` (ONNX Runtime for ONNX models). */
  verifier?: Verifier;
  /** Registry to resolve ids in; default the built-in one. */
  registry?: AttackRegistry;
  /** Preset information to carry into the report. */
  preset?: ResolvedPreset;
  onProgress?: (done: number, total: number, note: string) => void;
}

interface PlannedAttack {
  definition: AnyAttackDefinition;
  params: unknown;
}

function zodIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join(', ');
}

/** Problems with one attack for a model and threat, as sentences (empty when it fits). */
function attackProblems(definition: AnyAttackDefinition, model: Model, norm: Norm, goal: Goal): string[] {
  const problems: string[] = [];
  if (!definition.norms.includes(norm)) {
    problems.push(`attack "${definition.id}" does not support the ${norm} norm (it supports ${definition.norms.join(', ')})`);
  }
  if (definition.requires === 'gradients' && !isDifferentiable(model)) {
    problems.push(`attack "${definition.id}" needs input gradients but model ${model.id} gives none (black-box); use a score- or decision-based attack`);
  }
  if (goal.kind === 'targeted' && !definition.targeted) {
    problems.push(`attack "${definition.id}" cannot run targeted; drop the targeted goal or choose an attack that supports it`);
  }
  return problems;
}

function epsilonProblems(epsilons: readonly number[], norm: Norm): string[] {
  const problems: string[] = [];
  for (const epsilon of epsilons) {
    if (!Number.isFinite(epsilon) || epsilon < 0) problems.push(`epsilon ${epsilon} must be a finite number ≥ 0`);
    else if (norm === 'l0' && !Number.isInteger(epsilon)) problems.push(`epsilon ${epsilon} must be an integer for the l0 norm (the number of values that may change)`);
  }
  return problems;
}

function parseParams(definition: AnyAttackDefinition, options: unknown, problems: string[]): unknown {
  const parsed = (definition.options as z.ZodTypeAny).safeParse(options ?? {});
  if (!parsed.success) {
    problems.push(`attack "${definition.id}" options: ${zodIssues(parsed.error)}`);
    return undefined;
  }
  return parsed.data;
}

function fail(where: string, problems: string[]): never {
  throw new RampartError('BAD_OPTION', `${where}: ${problems.join('; ')}.`, { problems });
}

/** Keys of an attack's options schema (through defaults, effects and optionals), for CLI flags. */
export function attackOptionKeys(definition: AnyAttackDefinition): string[] {
  let schema: z.ZodTypeAny = definition.options;
  for (;;) {
    if (schema instanceof z.ZodEffects) schema = schema.innerType();
    else if (schema instanceof z.ZodDefault) schema = schema._def.innerType;
    else if (schema instanceof z.ZodOptional) schema = schema.unwrap();
    else break;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as Record<string, unknown>) : [];
}

// ---------------------------------------------------------------------------------------------------------------
// One proposal: check, project, verify
// ---------------------------------------------------------------------------------------------------------------

/** Stable 32-bit seed from parts (FNV-1a over the parts, then a final avalanche). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return (h ^ (h >>> 16)) >>> 0;
}

/** Per-sample check of a proposal against the clean batch: 1 = invalid. Distances in float64. */
export function invalidProposals(proposal: Float32Array, clean: Float32Array, size: number, threat: Pick<ThreatModel, 'norm' | 'epsilon' | 'bounds'>, checkBall: boolean): Uint8Array {
  const n = Math.round(clean.length / size);
  const invalid = new Uint8Array(n);
  const [low, high] = threat.bounds;
  const scale = Math.max(1, Math.abs(low), Math.abs(high));
  for (let s = 0; s < n; s++) {
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let linf = 0;
    let bad = false;
    for (let i = s * size; i < (s + 1) * size; i++) {
      const v = proposal[i];
      if (!Number.isFinite(v) || v < low - TOLERANCE || v > high + TOLERANCE) {
        bad = true;
        break;
      }
      const d = Math.abs(v - clean[i]);
      if (d !== 0) l0++;
      l1 += d;
      l2 += d * d;
      if (d > linf) linf = d;
    }
    if (!bad && checkBall) {
      const epsilon = threat.epsilon;
      const slack = TOLERANCE * Math.max(1, epsilon);
      if (threat.norm === 'linf') bad = linf > epsilon + slack;
      else if (threat.norm === 'l2') bad = Math.sqrt(l2) > epsilon + slack;
      // float32 rounding of x + δ: at most half an ulp per changed value
      else if (threat.norm === 'l1') bad = l1 > epsilon + slack + 1.2e-7 * scale * l0;
      else bad = l0 > epsilon;
    }
    invalid[s] = bad ? 1 : 0;
  }
  return invalid;
}

interface Verified {
  adversarial: Uint8Array;
  predicted: Int32Array;
  /** Softmax probability of the predicted class. */
  confidence: Float64Array;
}

async function verify(verifier: Model, x: Tensor, labels: Int32Array, targets: Int32Array | undefined): Promise<Verified> {
  const logits = await verifier.logits(x);
  const values = (await logits.data()) as Float32Array;
  const classes = logits.shape[1];
  logits.dispose();
  const n = labels.length;
  const out: Verified = { adversarial: new Uint8Array(n), predicted: new Int32Array(n), confidence: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const { predicted, probability } = predictedProbability(values, i, classes);
    out.predicted[i] = predicted;
    out.confidence[i] = probability;
    out.adversarial[i] = targets ? Number(predicted === targets[i]) : Number(predicted !== labels[i]);
  }
  return out;
}

interface ProposalOutcome extends Verified {
  /** The examples the harness stands behind: projected + clipped (fixed-ε) or clipped (minimization). */
  final: Tensor;
  finalValues: Float32Array;
  invalid: Uint8Array;
  sizes: PerturbationSizes;
  queries: QueryCounts;
  /** Queries per sample as the attack reported them, kept only when they sum to the counted total. */
  perSampleQueries?: Float64Array;
  seconds: number;
}

/**
 * An attack's per-sample query report, accepted only when it has one entry per sample and sums exactly to the
 * queries the counting wrapper saw (so the per-sample figures can never exceed or hide real queries).
 */
export function checkedQueryReport(reported: Float64Array | undefined, n: number, counts: QueryCounts): Float64Array | undefined {
  if (!reported || reported.length !== n) return undefined;
  let sum = 0;
  for (const v of reported) {
    if (!Number.isFinite(v) || v < 0) return undefined;
    sum += v;
  }
  return sum === counts.forward + counts.gradient ? reported : undefined;
}

/** Runs one attack on one batch and turns its proposal into verified, checked examples. */
async function proposeAndVerify(
  planned: PlannedAttack,
  model: Model,
  verifier: Model,
  x: Tensor,
  cleanValues: Float32Array,
  labels: Int32Array,
  targets: Int32Array | undefined,
  threat: ThreatModel,
  seed: number,
): Promise<ProposalOutcome> {
  const started = performance.now();
  const { definition, params } = planned;
  // Score- and decision-based attacks only query forward passes: when the verifier is an ONNX Runtime twin of a
  // TF.js model (same weights, the clean-logit difference is reported), their queries take that fast path.
  const queried = definition.requires !== 'gradients' && verifier !== model && verifier.format === 'onnx' && model.format !== 'onnx' ? { ...modelShape(model), logits: (t: Tensor) => verifier.logits(t), dispose: () => undefined } : model;
  const counting = countingModel(queried, definition.requires);
  const size = cleanValues.length / labels.length;
  let reported: Float64Array | undefined;
  const recordQueries = (perSample: ArrayLike<number>) => {
    reported = Float64Array.from(perSample);
  };
  const proposal = await definition.run({ x, labels, targets, threat }, { model: counting.model, random: createRandom(seed), recordQueries }, params);
  const perSampleQueries = checkedQueryReport(reported, labels.length, counting.counts);
  const fixed = definition.kind === 'fixed-epsilon';
  let checked: Tensor;
  let invalid: Uint8Array;
  const shapeOk = proposal instanceof tf.Tensor && proposal.shape.length === x.shape.length && proposal.shape.every((d, i) => d === x.shape[i]);
  if (!shapeOk) {
    invalid = new Uint8Array(labels.length).fill(1);
    checked = tf.clone(x);
  } else {
    const values = (await proposal.data()) as Float32Array;
    invalid = invalidProposals(values, cleanValues, size, threat, fixed);
    checked = invalid.some((v) => v === 1) ? selectRows(invalid, x, proposal) : tf.clone(proposal);
  }
  if (proposal instanceof tf.Tensor && proposal !== x && !proposal.isDisposed) proposal.dispose();
  const final = tf.tidy(() => (fixed ? projectToThreat(checked, x, threat) : clipToBounds(checked, threat.bounds)));
  checked.dispose();
  try {
    const finalValues = (await final.data()) as Float32Array;
    const verified = await verify(verifier, final, labels, targets);
    for (let i = 0; i < invalid.length; i++) if (invalid[i]) verified.adversarial[i] = 0;
    const sizes = perturbationSizes(finalValues, cleanValues, size);
    return { ...verified, final, finalValues, invalid, sizes, queries: { ...counting.counts }, perSampleQueries, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    final.dispose();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// attackBatch: one attack, one ε, one batch of tensors
// ---------------------------------------------------------------------------------------------------------------

export interface AttackBatchOptions {
  model: Model;
  /** Attack id (resolved in the registry) or definition. */
  attack: string | AnyAttackDefinition;
  options?: Record<string, unknown>;
  /** Clean batch [N, ...] (not disposed). */
  x: Tensor;
  labels: Int32Array;
  /** Targets for targeted goals (required when the goal is targeted). */
  targets?: Int32Array;
  threat: ThreatModelInput;
  seed?: number;
  verifier?: Verifier;
  registry?: AttackRegistry;
}

export interface AttackBatchResult {
  /** The checked, projected, clipped examples (caller owns). */
  xAdv: Tensor;
  /** Verified success per sample (for minimization attacks: adversarial and within ε). */
  success: Uint8Array;
  invalid: Uint8Array;
  predicted: Int32Array;
  /** Per-sample distance to x in the threat's norm (float64). */
  distance: Float64Array;
  queries: QueryCounts;
  /** Queries per sample when the attack reports them (and they sum to `queries`). */
  perSampleQueries?: Float64Array;
  params: unknown;
}

/** Lower-level harness entry for tests and library users: validates, runs, checks, projects, verifies. */
export async function attackBatch(options: AttackBatchOptions): Promise<AttackBatchResult> {
  const registry = options.registry ?? attackRegistry;
  const threat = threatModel(options.threat);
  const problems: string[] = [];
  const definition = typeof options.attack === 'string' ? (registry.has(options.attack) ? registry.get(options.attack) : undefined) : options.attack;
  if (!definition) problems.push(`unknown attack "${options.attack as string}" (available: ${registry.ids().join(', ')})`);
  else problems.push(...attackProblems(definition, options.model, threat.norm, threat.goal));
  problems.push(...epsilonProblems([threat.epsilon], threat.norm));
  if (threat.goal.kind === 'targeted' && options.targets?.length !== options.labels.length) problems.push('a targeted goal needs one target per sample');
  const params = definition ? parseParams(definition, options.options, problems) : undefined;
  if (options.x.shape[0] !== options.labels.length) problems.push(`x has ${options.x.shape[0]} samples but labels has ${options.labels.length}`);
  if (problems.length > 0 || !definition) fail('attackBatch', problems);
  const verifier = options.verifier ?? (await createVerifier(options.model));
  try {
    const clean = (await options.x.data()) as Float32Array;
    const targets = threat.goal.kind === 'targeted' ? options.targets : undefined;
    const outcome = await proposeAndVerify({ definition, params }, options.model, verifier.model, options.x, clean, options.labels, targets, threat, mixSeed(options.seed ?? 0));
    const distance = outcome.sizes[threat.norm];
    const success = Uint8Array.from(outcome.adversarial, (a, i) => (a === 1 && (definition.kind === 'fixed-epsilon' || distance[i] <= threat.epsilon + TOLERANCE) ? 1 : 0));
    return { xAdv: outcome.final, success, invalid: outcome.invalid, predicted: outcome.predicted, distance, queries: outcome.queries, perSampleQueries: outcome.perSampleQueries, params };
  } finally {
    if (!options.verifier) verifier.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// runAttacks: attacks × ε over a dataset
// ---------------------------------------------------------------------------------------------------------------

export interface PerturbationSummary extends Distribution {
  /** The same examples measured in every norm. */
  byNorm: Record<Norm, Distribution>;
}

export interface AttackEpsilonResult {
  epsilon: number;
  /** Fraction of all samples still classified correctly (cumulative over earlier attacks under the cascade). */
  robustAccuracy: number;
  /** Fraction of initially-correct samples broken (cumulative under the cascade); null if none was correct. */
  attackSuccessRate: number | null;
  /** Clean accuracy − robust accuracy. */
  robustnessScore: number;
  /** Samples this attack ran on at this ε. */
  attacked: number;
  /** Samples this attack broke (verified). */
  successes: number;
  /** Proposals rejected by the harness (non-finite, wrong shape, outside the ball or the bounds). */
  invalid: number;
  /** Size of the successful perturbations in the threat's norm (and in every norm under byNorm). */
  perturbation: PerturbationSummary;
  /** Softmax probability of the adversarial class on successful examples. */
  confidence: Distribution;
  queries: QueryCounts & {
    perSample: QueryCounts;
    /**
     * Queries each broken sample needed (score- and decision-based attacks that report them: median, p90, ...);
     * null when the attack does not report per-sample queries.
     */
    toSuccess?: Distribution | null;
  };
  seconds: number;
}

export interface AttackReportEntry {
  id: string;
  title: string;
  norm: Norm;
  kind: AnyAttackDefinition['kind'];
  requires: AttackKnowledge;
  /** Options as the attack used them, defaults included. */
  params: unknown;
  results: AttackEpsilonResult[];
  /** Minimization attacks: median minimal perturbation over attacked samples (failures count as +∞). */
  minimalPerturbation?: { median: number | null; found: Distribution; attacked: number };
  seconds: number;
}

export interface WorstCaseEntry {
  norm: Norm;
  epsilon: number;
  robustAccuracy: number;
  attackSuccessRate: number | null;
  robustnessScore: number;
}

export interface AdversarialExamples {
  /** Worst-case examples at the largest ε, laid out like the data ([N, ...sampleShape]). */
  x: Float32Array;
  shape: number[];
  y: Int32Array;
  /** Verified success per sample at that ε. */
  success: Uint8Array;
  epsilon: number;
  targets?: Int32Array;
}

export interface AttackReport {
  clean: { accuracy: number; correct: number; count: number };
  threat: { norm: Norm; goal: Goal; bounds: [number, number]; epsilons: number[] };
  cascade: boolean;
  preset: ResolvedPreset | null;
  verifier: { kind: VerifierKind; source: string; maxCleanLogitDifference: number | null };
  attacks: AttackReportEntry[];
  worstCase: WorstCaseEntry[];
  seconds: number;
  adversarial?: AdversarialExamples;
  /**
   * Per ε, per sample (in data order): 1 where some attack broke the sample (the worst case). Present on reports
   * made in this process, not enumerable, so it is not written to JSON results.
   */
  readonly worstCaseSuccess?: readonly Uint8Array[];
}

interface RunRecord {
  attacked: Uint8Array;
  success: Uint8Array;
  invalid: Uint8Array;
  sizes: PerturbationSizes;
  confidence: Float64Array;
  queries: QueryCounts;
  /** Per-sample queries to success (NaN where unknown); `reported` = some batch had a valid report. */
  toSuccess: Float64Array;
  reported: boolean;
  seconds: number;
}

function newRecord(n: number): RunRecord {
  const nan = () => new Float64Array(n).fill(NaN);
  return {
    attacked: new Uint8Array(n),
    success: new Uint8Array(n),
    invalid: new Uint8Array(n),
    sizes: { l0: nan(), l1: nan(), l2: nan(), linf: nan() },
    confidence: nan(),
    queries: { forward: 0, gradient: 0 },
    toSuccess: nan(),
    reported: false,
    seconds: 0,
  };
}

/** Validates a runAttacks request and resolves every attack's options, throwing one error listing all problems. */
export function planAttacks(options: RunAttacksOptions): { config: z.output<typeof runAttacksOptionsSchema>; planned: PlannedAttack[] } {
  const { model, data, verifier, registry: givenRegistry, targets, preset, onProgress, ...rest } = options;
  void verifier;
  void preset;
  void onProgress;
  const registry = givenRegistry ?? attackRegistry;
  const parsed = runAttacksOptionsSchema.safeParse(rest);
  if (!parsed.success) fail('runAttacks', parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`));
  const config = parsed.data;
  const problems: string[] = [];
  const planned: PlannedAttack[] = [];
  for (const request of config.attacks) {
    if (!registry.has(request.id)) {
      problems.push(`unknown attack "${request.id}" (available: ${registry.ids().join(', ')})`);
      continue;
    }
    const definition = registry.get(request.id);
    problems.push(...attackProblems(definition, model, config.norm, config.goal));
    planned.push({ definition, params: parseParams(definition, request.options, problems) });
  }
  problems.push(...epsilonProblems(config.epsilons, config.norm));
  if (config.goal.kind === 'targeted') {
    if (model.numClasses < 2) problems.push('a targeted goal needs a model with at least 2 classes');
    if (config.goal.targets === 'given') {
      if (!targets) problems.push('goal targets "given" needs the targets option (one label per sample)');
      else if (targets.length !== data.count) problems.push(`targets has ${targets.length} labels but the data has ${data.count} samples`);
      else {
        const bad = targets.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= model.numClasses);
        if (bad >= 0) problems.push(`target ${targets[bad]} of sample ${bad} is not a class of the model (0..${model.numClasses - 1})`);
      }
    }
  }
  if (problems.length > 0) fail('runAttacks', problems);
  checkDataFitsModel(model, data);
  return { config, planned };
}

/** Runs attacks over a dataset and returns the metrics of every (attack, ε) and the per-sample worst case. */
export async function runAttacks(options: RunAttacksOptions): Promise<AttackReport> {
  const { config, planned } = planAttacks(options);
  const { model, data } = options;
  const { norm, epsilons, goal, seed, batchSize, cascade } = config;
  const started = performance.now();
  const n = data.count;
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const ownVerifier = options.verifier === undefined;
  const verifier = options.verifier ?? (await createVerifier(model));
  const bounds: [number, number] = [model.bounds[0], model.bounds[1]];
  const threats = epsilons.map((epsilon) => threatModel({ norm, epsilon, goal, bounds }));
  const largest = epsilons.reduce((best, e, i) => (e > epsilons[best] ? i : best), 0);

  const correct = new Uint8Array(n);
  const labelsAll = new Int32Array(n);
  const targetsAll = goal.kind === 'targeted' ? new Int32Array(n) : undefined;
  const records = planned.map(() => epsilons.map(() => newRecord(n)));
  const minimal = planned.map((p) => (p.definition.kind === 'minimization' ? new Float64Array(n).fill(NaN) : undefined));
  const attackSeconds = planned.map(() => 0);
  const broken = epsilons.map(() => new Uint8Array(n));
  const keep = config.keepAdversarial;
  const adversarialX = keep ? new Float32Array(n * size) : undefined;
  const adversarialSaved = keep ? new Uint8Array(n) : undefined;
  const targetRandom = createRandom(mixSeed(seed, 0x7a7));
  let maxLogitDifference: number | null = verifier.model === model ? null : 0;

  const units = planned.reduce((sum, p) => sum + (p.definition.kind === 'fixed-epsilon' ? epsilons.length : 1), 0);
  const total = n * units;
  let done = 0;

  try {
    for await (const batch of data.batches(batchSize)) {
      for (let i = 0; i < batch.count; i++) {
        const label = batch.y[i];
        if (label < 0 || label >= model.numClasses) {
          throw new RampartError(
            'LABEL_OUT_OF_RANGE',
            `Sample ${batch.start + i} of ${data.spec} has label ${label}, but model ${model.id} has ${model.numClasses} classes (0..${model.numClasses - 1}). Check that the data and the model belong together.`,
            { sample: batch.start + i, label },
          );
        }
      }
      labelsAll.set(batch.y, batch.start);
      adversarialX?.set(batch.x, batch.start * size);
      const xBatch = tf.tensor(batch.x, [batch.count, ...data.sampleShape], 'float32');
      try {
        // Clean predictions come from the verifier too, so "correct" and "adversarial" use the same judge.
        const cleanLogits = await verifier.model.logits(xBatch);
        const cleanValues = (await cleanLogits.data()) as Float32Array;
        const classes = cleanLogits.shape[1];
        cleanLogits.dispose();
        if (maxLogitDifference !== null) {
          const own = await model.logits(xBatch);
          const ownValues = (await own.data()) as Float32Array;
          own.dispose();
          for (let i = 0; i < ownValues.length; i++) maxLogitDifference = Math.max(maxLogitDifference, Math.abs(ownValues[i] - cleanValues[i]));
        }
        for (let i = 0; i < batch.count; i++) {
          const { predicted } = predictedProbability(cleanValues, i, classes);
          correct[batch.start + i] = Number(predicted === batch.y[i]);
          if (targetsAll) targetsAll[batch.start + i] = chooseTarget(goal, batch.y[i], cleanValues, i, classes, options.targets?.[batch.start + i], targetRandom, batch.start + i);
        }
        for (let a = 0; a < planned.length; a++) {
          const attack = planned[a];
          const note = attack.definition.id;
          if (attack.definition.kind === 'fixed-epsilon') {
            for (let e = 0; e < epsilons.length; e++) {
              const picked = samplesToAttack(correct.subarray(batch.start, batch.start + batch.count), broken[e].subarray(batch.start, batch.start + batch.count), cascade);
              if (picked.length > 0) {
                const outcome = await runOn(attack, picked, e, threats[e], mixSeed(seed, a, e, batch.start));
                fold(a, e, picked, outcome, (i) => outcome.adversarial[i] === 1);
                attackSeconds[a] += outcome.seconds;
                outcome.final.dispose();
              }
              done += batch.count;
              options.onProgress?.(done, total, `${note} ε=${epsilons[e]}`);
            }
          } else {
            // Minimization: once on the samples still robust at some ε; success at ε iff adversarial within ε.
            const robustSomewhere = new Uint8Array(batch.count);
            for (let e = 0; e < epsilons.length; e++) {
              const picked = samplesToAttack(correct.subarray(batch.start, batch.start + batch.count), broken[e].subarray(batch.start, batch.start + batch.count), cascade);
              for (const i of picked) robustSomewhere[i] = 1;
            }
            const picked = [...robustSomewhere.keys()].filter((i) => robustSomewhere[i] === 1);
            if (picked.length > 0) {
              const maxThreat = threats[largest];
              const outcome = await runOn(attack, picked, largest, maxThreat, mixSeed(seed, a, 0xffff, batch.start));
              const distance = outcome.sizes[norm];
              for (let j = 0; j < picked.length; j++) {
                minimal[a]![batch.start + picked[j]] = outcome.adversarial[j] === 1 ? distance[j] : Infinity;
              }
              for (let e = 0; e < epsilons.length; e++) {
                const stillRobust = picked.map((i) => (cascade ? broken[e][batch.start + i] === 0 : true));
                const subset = picked.filter((_, j) => stillRobust[j]);
                const positions = picked.map((_, j) => j).filter((j) => stillRobust[j]);
                if (subset.length === 0) continue;
                const within = (j: number) => outcome.adversarial[j] === 1 && distance[j] <= epsilons[e] + TOLERANCE;
                fold(a, e, subset, restrict(outcome, positions), (j) => within(positions[j]));
              }
              attackSeconds[a] += outcome.seconds;
              outcome.final.dispose();
            }
            done += batch.count * 1;
            options.onProgress?.(done, total, note);
          }
        }
      } finally {
        xBatch.dispose();
      }

      /** Gathers the picked rows of the batch, runs the attack, and returns the outcome (rows in picked order). */
      async function runOn(attack: PlannedAttack, picked: number[], e: number, threat: ThreatModel, runSeed: number): Promise<ProposalOutcome> {
        void e;
        const rows = new Float32Array(picked.length * size);
        picked.forEach((i, j) => rows.set(batch.x.subarray(i * size, (i + 1) * size), j * size));
        const labels = Int32Array.from(picked, (i) => batch.y[i]);
        const targets = targetsAll ? Int32Array.from(picked, (i) => targetsAll[batch.start + i]) : undefined;
        const x = tf.tensor(rows, [picked.length, ...data.sampleShape], 'float32');
        try {
          return await proposeAndVerify(attack, model, verifier.model, x, rows, labels, targets, threat, runSeed);
        } finally {
          x.dispose();
        }
      }

      /** Records one outcome for attack a at ε index e on the picked batch rows (outcome rows in the same order). */
      function fold(a: number, e: number, picked: number[], outcome: Pick<ProposalOutcome, 'invalid' | 'sizes' | 'confidence' | 'finalValues' | 'queries' | 'perSampleQueries' | 'seconds'>, succeeded: (j: number) => boolean): void {
        const record = records[a][e];
        if (outcome.perSampleQueries) record.reported = true;
        record.queries.forward += outcome.queries.forward;
        record.queries.gradient += outcome.queries.gradient;
        record.seconds += outcome.seconds;
        picked.forEach((i, j) => {
          const index = batch.start + i;
          record.attacked[index] = 1;
          record.invalid[index] = outcome.invalid[j];
          const success = succeeded(j);
          if (success) {
            record.success[index] = 1;
            broken[e][index] = 1;
            for (const k of norms) record.sizes[k][index] = outcome.sizes[k][j];
            record.confidence[index] = outcome.confidence[j];
            if (outcome.perSampleQueries) record.toSuccess[index] = outcome.perSampleQueries[j];
          }
          if (adversarialX && adversarialSaved && e === largest && !adversarialSaved[index]) {
            const row = outcome.finalValues.subarray(j * size, (j + 1) * size);
            if (success) adversarialSaved[index] = 1;
            // A sample no attack broke keeps the last attack's (projected) example.
            if (success || planned[a].definition.kind === 'fixed-epsilon') adversarialX.set(row, index * size);
          }
        });
      }
    }
  } finally {
    if (ownVerifier) verifier.dispose();
  }

  // ---- metrics ----
  const clean = cleanAccuracy(correct);
  const cumulative = epsilons.map(() => new Uint8Array(n));
  const attacks: AttackReportEntry[] = planned.map((attack, a) => {
    const results = epsilons.map((epsilon, e): AttackEpsilonResult => {
      const record = records[a][e];
      for (let i = 0; i < n; i++) if (record.success[i]) cumulative[e][i] = 1;
      const counted = cascade ? cumulative[e] : record.success;
      const robust = robustAccuracy(correct, counted);
      const attacked = count(record.attacked);
      const byNorm = Object.fromEntries(norms.map((k) => [k, maskedDistribution(record.sizes[k], record.success)])) as Record<Norm, Distribution>;
      return {
        epsilon,
        robustAccuracy: robust,
        attackSuccessRate: attackSuccessRate(correct, counted),
        robustnessScore: robustnessScore(clean, robust),
        attacked,
        successes: count(record.success),
        invalid: count(record.invalid),
        perturbation: { ...byNorm[norm], byNorm },
        confidence: maskedDistribution(record.confidence, record.success),
        queries: {
          forward: record.queries.forward,
          gradient: record.queries.gradient,
          perSample: { forward: attacked ? record.queries.forward / attacked : 0, gradient: attacked ? record.queries.gradient / attacked : 0 },
          toSuccess: record.reported ? maskedDistribution(record.toSuccess, record.success) : null,
        },
        seconds: record.seconds,
      };
    });
    const entry: AttackReportEntry = {
      id: attack.definition.id,
      title: attack.definition.title,
      norm,
      kind: attack.definition.kind,
      requires: attack.definition.requires,
      params: attack.params,
      results,
      seconds: attackSeconds[a],
    };
    const found = minimal[a];
    if (found) {
      const attackedDistances = Array.from(found).filter((d) => !Number.isNaN(d));
      entry.minimalPerturbation = {
        median: medianMinimalPerturbation(attackedDistances),
        found: distribution(attackedDistances.filter(Number.isFinite)),
        attacked: attackedDistances.length,
      };
    }
    return entry;
  });
  const worstCaseMasks = epsilons.map((_, e) =>
    worstCaseSuccess(
      records.map((r) => r[e].success),
      n,
    ),
  );
  const worstCase = epsilons.map((epsilon, e): WorstCaseEntry => {
    const success = worstCaseMasks[e];
    const robust = robustAccuracy(correct, success);
    return { norm, epsilon, robustAccuracy: robust, attackSuccessRate: attackSuccessRate(correct, success), robustnessScore: robustnessScore(clean, robust) };
  });
  const report: AttackReport = {
    clean: { accuracy: clean, correct: count(correct), count: n },
    threat: { norm, goal, bounds, epsilons: [...epsilons] },
    cascade,
    preset: options.preset ?? null,
    verifier: { kind: verifier.kind, source: verifier.source, maxCleanLogitDifference: maxLogitDifference },
    attacks,
    worstCase,
    seconds: (performance.now() - started) / 1000,
  };
  // kept for in-process consumers (diagnostics compare per sample), left out of JSON results
  Object.defineProperty(report, 'worstCaseSuccess', { value: worstCaseMasks, enumerable: false });
  if (adversarialX) {
    const success = worstCaseSuccess(
      records.map((r) => r[largest].success),
      n,
    );
    report.adversarial = { x: adversarialX, shape: [n, ...data.sampleShape], y: labelsAll, success, epsilon: epsilons[largest], targets: targetsAll };
  }
  return report;
}

function count(mask: Uint8Array): number {
  let c = 0;
  for (const v of mask) if (v === 1) c++;
  return c;
}

/** Selects the rows `positions` of an outcome's per-sample arrays (tensors are not copied). */
function restrict(outcome: ProposalOutcome, positions: number[]): Pick<ProposalOutcome, 'invalid' | 'sizes' | 'confidence' | 'finalValues' | 'queries' | 'perSampleQueries' | 'seconds'> {
  const size = outcome.finalValues.length / outcome.invalid.length;
  const finalValues = new Float32Array(positions.length * size);
  positions.forEach((p, j) => finalValues.set(outcome.finalValues.subarray(p * size, (p + 1) * size), j * size));
  const pick = (values: Float64Array) => Float64Array.from(positions, (p) => values[p]);
  return {
    invalid: Uint8Array.from(positions, (p) => outcome.invalid[p]),
    sizes: { l0: pick(outcome.sizes.l0), l1: pick(outcome.sizes.l1), l2: pick(outcome.sizes.l2), linf: pick(outcome.sizes.linf) },
    confidence: pick(outcome.confidence),
    finalValues,
    // a minimization run's queries and time are shared by every ε it serves
    queries: outcome.queries,
    perSampleQueries: outcome.perSampleQueries ? pick(outcome.perSampleQueries) : undefined,
    seconds: outcome.seconds,
  };
}

/** Target class of one sample for a targeted goal. */
function chooseTarget(
  goal: Goal,
  label: number,
  cleanLogits: Float32Array,
  row: number,
  classes: number,
  given: number | undefined,
  random: ReturnType<typeof createRandom>,
  index: number,
): number {
  if (goal.kind !== 'targeted') return -1;
  if (goal.targets === 'given') {
    if (given === label) {
      throw new RampartError('BAD_OPTION', `runAttacks: the target of sample ${index} equals its label (${label}); a target must be a different class.`, { index });
    }
    return given as number;
  }
  if (goal.targets === 'random') {
    // Drawn for every sample in order, so the targets do not depend on the batch size.
    const t = random.int(classes - 1);
    return t >= label ? t + 1 : t;
  }
  let worst = label === 0 ? 1 : 0;
  for (let c = 0; c < classes; c++) if (c !== label && cleanLogits[row * classes + c] < cleanLogits[row * classes + worst]) worst = c;
  return worst;
}
