/**
 * Ensembles as a Rampart `Model`, and the ensemble folder format `loadModel` reads.
 *
 * - `VotingEnsemble`: soft voting averages the members' class probabilities with weights wₘ (Σwₘ = 1),
 *   p̄ = Σ wₘ·softmax(zₘ), and exposes logits log p̄ − mean_k log p̄ (centred per row), so softmax of the ensemble
 *   logits IS the averaged probability vector and the ensemble is differentiable (a `DifferentiableModel` when every member is): attacks, smoothing and
 *   calibration see one model. Hard voting counts (weighted) votes of the members' argmax (logits: the log vote
 *   share + 10⁻⁶, centred the same way); it has no useful
 *   gradient (`gradientsAvailable = false`), so only score- and decision-based attacks apply.
 * - `StackedEnsemble` (Wolpert 1992, https://doi.org/10.1016/S0893-6080(05)80023-1), inference part: the
 *   members' probabilities, concatenated, go through a linear meta-learner (softmax regression) whose outputs are
 *   the logits; differentiable when every member is. Training lives in src/harden/ensemble.
 * - `disagreement(x)`: per sample, the weighted fraction of members whose prediction differs from the
 *   ensemble's — the uncertainty score.
 * - Folder format: `ensemble.json` (`EnsembleManifest`) beside one folder (or file) per member, each loadable by
 *   `loadModel`; member paths are relative to the folder (or `builtin:NAME`). `readEnsembleFolder` validates the
 *   manifest and the members and names the broken one and the fix.
 *
 * @example const ensemble = new VotingEnsemble([a, b, c], { voting: 'soft' }); await ensemble.logits(x);
 * @example const model = await loadModel('runs/bagging');   // a folder holding ensemble.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { tf, type Tensor, type Tensor1D, type Tensor2D } from './tf.js';
import type { LossName } from './losses.js';
import { tfjsLossAndGradient } from './autodiff.js';
import type { Bounds, DifferentiableModel, LossAndGradient, Model, ModelFormat } from './model.js';
import { isDifferentiable } from './model.js';
import { RampartError } from '../errors.js';

export interface VotingOptions {
  voting?: 'soft' | 'hard';
  /** Member weights (normalised to sum 1; default equal). SAMME boosting passes its α's. */
  weights?: readonly number[];
  id?: string;
}

/** Checks members agree on input shape and classes; names the first one that does not. */
function checkMembers(members: readonly Model[], names?: readonly string[]): void {
  if (members.length === 0) throw new RampartError('BAD_OPTION', 'An ensemble needs at least one member model.');
  const first = members[0];
  const label = (i: number) => names?.[i] ?? members[i].id;
  members.forEach((m, i) => {
    if (m.inputShape.join() !== first.inputShape.join()) {
      throw new RampartError(
        'DATA_SHAPE_MISMATCH',
        `Ensemble member ${i} (${label(i)}) takes samples of shape [${m.inputShape.join(', ')}] but member 0 (${label(0)}) takes [${first.inputShape.join(', ')}]; every member must take the same input (retrain or replace member ${i}).`,
      );
    }
    if (m.numClasses !== first.numClasses) {
      throw new RampartError(
        'BAD_OPTION',
        `Ensemble member ${i} (${label(i)}) has ${m.numClasses} classes but member 0 (${label(0)}) has ${first.numClasses}; every member must score the same classes (replace member ${i}).`,
      );
    }
  });
}

function normaliseWeights(raw: readonly number[], count: number, where: string): number[] {
  if (raw.length !== count || raw.some((w) => !(Number.isFinite(w) && w >= 0)) || raw.every((w) => w === 0)) {
    throw new RampartError('BAD_OPTION', `${where}: give ${count} finite non-negative numbers, not all 0, one per member (got [${raw.join(', ')}]).`);
  }
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/** Per-sample weighted fraction of members whose argmax differs from the ensemble's argmax. */
async function weightedDisagreement(ensembleLogits: Tensor2D, members: readonly Model[], weights: readonly number[], x: Tensor): Promise<Float32Array> {
  const member: Tensor2D[] = [];
  try {
    for (const m of members) member.push(await m.logits(x));
    const d = tf.tidy(() => {
      const e = tf.argMax(ensembleLogits, 1);
      return member.map((z, i) => tf.mul(tf.cast(tf.notEqual(tf.argMax(z, 1), e), 'float32'), weights[i])).reduce((a, b) => tf.add(a, b));
    });
    const values = Float32Array.from(d.dataSync());
    d.dispose();
    return values;
  } finally {
    tf.dispose(member);
  }
}

/**
 * What every ensemble shares: members evaluated on the same input, combined by `combine` (one tf op graph, so soft
 * combinations are differentiable), gradients through tf.grad of that graph, and the members' disagreement.
 */
abstract class MemberCombination implements DifferentiableModel {
  abstract readonly id: string;
  readonly format: ModelFormat;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly bounds: Bounds;
  /** Weights of the members in `disagreement` (Σ = 1). */
  abstract readonly weights: number[];
  abstract readonly gradientsAvailable: boolean;
  /** Why gradients are unavailable, for the error message. */
  protected abstract readonly gradientRequirement: string;

  constructor(readonly members: readonly Model[], memberNames?: readonly string[]) {
    checkMembers(members, memberNames);
    const first = members[0];
    this.format = first.format;
    this.inputShape = first.inputShape;
    this.numClasses = first.numClasses;
    this.bounds = first.bounds;
  }

  protected abstract combine(memberLogits: Tensor2D[]): Tensor2D;

  async logits(x: Tensor): Promise<Tensor2D> {
    const outs: Tensor2D[] = [];
    try {
      for (const m of this.members) outs.push(await m.logits(x));
      return this.combine(outs);
    } finally {
      tf.dispose(outs);
    }
  }

  logitsSync(x: Tensor): Tensor2D {
    if (!this.gradientsAvailable) throw new RampartError('BAD_OPTION', `${this.id}: synchronous logits need ${this.gradientRequirement}.`);
    return tf.tidy(() => this.combine(this.members.map((m) => (m as DifferentiableModel).logitsSync(x))));
  }

  lossAndGradientSync(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): LossAndGradient {
    if (!this.gradientsAvailable) throw new RampartError('BAD_OPTION', `${this.id}: gradients need ${this.gradientRequirement} (use a score- or decision-based attack otherwise).`);
    return tfjsLossAndGradient((input) => this.logitsSync(input), x, labels, loss, targets);
  }

  async lossAndGradient(x: Tensor, labels: Tensor1D, loss: LossName = 'cross-entropy', targets?: Tensor1D): Promise<LossAndGradient> {
    return this.lossAndGradientSync(x, labels, loss, targets);
  }

  /** Per-sample disagreement: weighted fraction of members whose argmax differs from the ensemble's. */
  async disagreement(x: Tensor): Promise<Float32Array> {
    const ensemble = await this.logits(x);
    try {
      return await weightedDisagreement(ensemble, this.members, this.weights, x);
    } finally {
      ensemble.dispose();
    }
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

export class VotingEnsemble extends MemberCombination {
  readonly id: string;
  readonly voting: 'soft' | 'hard';
  readonly weights: number[];
  readonly gradientsAvailable: boolean;
  protected readonly gradientRequirement = 'soft voting over differentiable members';

  constructor(members: readonly Model[], options: VotingOptions & { memberNames?: readonly string[] } = {}) {
    super(members, options.memberNames);
    this.weights = normaliseWeights(options.weights ?? members.map(() => 1), members.length, 'Ensemble weights');
    this.voting = options.voting ?? 'soft';
    this.id = options.id ?? `ensemble(${members.map((m) => m.id).join(',')})`;
    this.gradientsAvailable = this.voting === 'soft' && members.every((m) => isDifferentiable(m));
  }

  protected combine(memberLogits: Tensor2D[]): Tensor2D {
    return tf.tidy(() => {
      if (this.voting === 'soft') {
        const mean = memberLogits.map((z, i) => tf.mul(tf.softmax(z), this.weights[i])).reduce((a, b) => tf.add(a, b));
        const logProbability = tf.log(tf.maximum(mean, 1e-30));
        // centred per row: softmax, argmax and every logit-difference loss are unchanged, and the output does not
        // read as log-probabilities (which audits flag as a softmax output)
        return tf.sub(logProbability, tf.mean(logProbability, 1, true)) as Tensor2D;
      }
      const votes = memberLogits.map((z, i) => tf.mul(tf.oneHot(tf.argMax(z, 1), this.numClasses), this.weights[i])).reduce((a, b) => tf.add(a, b));
      // log of the vote share, centred like soft voting's; ties broken towards the lower class index by argmax
      const logShare = tf.log(tf.add(votes, 1e-6));
      return tf.sub(logShare, tf.mean(logShare, 1, true)) as Tensor2D;
    });
  }
}

/** A stacked ensemble: base members' probabilities → linear meta-learner (softmax regression) → logits. */
export class StackedEnsemble extends MemberCombination {
  readonly id: string;
  readonly voting = 'stacking' as const;
  /** Members count equally in `disagreement`. */
  readonly weights: number[];
  readonly gradientsAvailable: boolean;
  protected readonly gradientRequirement = 'differentiable members';
  constructor(
    members: readonly Model[],
    /** [M·K, K], row-major */
    readonly metaWeights: Float32Array,
    /** [K] */
    readonly metaBias: Float32Array,
    options: { id?: string; memberNames?: readonly string[] } = {},
  ) {
    super(members, options.memberNames);
    const k = members[0].numClasses;
    if (metaWeights.length !== members.length * k * k || metaBias.length !== k) {
      throw new RampartError(
        'MODEL_CORRUPT',
        `The stacking meta-learner must have ${members.length * k}×${k} weights and ${k} biases for ${members.length} members of ${k} classes (got ${metaWeights.length} and ${metaBias.length}); retrain the stacked ensemble.`,
      );
    }
    this.id = options.id ?? `stacking-${members.length}`;
    this.weights = members.map(() => 1 / members.length);
    this.gradientsAvailable = members.every((m) => isDifferentiable(m));
  }

  protected combine(memberLogits: Tensor2D[]): Tensor2D {
    const k = this.numClasses;
    return tf.tidy(() => {
      const features = tf.concat(memberLogits.map((z) => tf.softmax(z)), 1);
      return tf.add(tf.matMul(features, tf.tensor2d(this.metaWeights, [this.members.length * k, k])), tf.tensor1d(this.metaBias)) as Tensor2D;
    });
  }
}

export type EnsembleModel = VotingEnsemble | StackedEnsemble;

/** True for the ensemble models above (they report per-sample disagreement). */
export function isEnsemble(model: Model): model is EnsembleModel {
  return model instanceof VotingEnsemble || model instanceof StackedEnsemble;
}

export const ENSEMBLE_MANIFEST = 'ensemble.json';

export const ensembleManifestSchema = z
  .object({
    kind: z.literal('rampart-ensemble'),
    version: z.literal(1),
    /** soft | hard voting, or stacking (then `meta` holds the meta-learner). */
    voting: z.enum(['soft', 'hard', 'stacking']).default('soft'),
    /** One weight per member (voting; normalised on load). Default equal. */
    weights: z.array(z.number()).optional(),
    /** Member paths relative to the folder (a model folder, model.json or .onnx file), or builtin:NAME. */
    members: z.array(z.string().min(1)).min(1),
    /** Stacking meta-learner: weights [M·K·K] row-major ([M·K, K]) and bias [K]. */
    meta: z.object({ weights: z.array(z.number()), bias: z.array(z.number()) }).strict().optional(),
    /** How it was made (bagging, boosting, stacking, combined), for provenance. */
    method: z.string().optional(),
    /** Single-graph ONNX export beside the manifest (any voting or stacking), if written. */
    onnx: z.string().optional(),
  })
  .passthrough();
export type EnsembleManifest = z.output<typeof ensembleManifestSchema>;
export type EnsembleManifestInput = z.input<typeof ensembleManifestSchema>;

/** Reads and validates `DIR/ensemble.json`. */
export function readEnsembleManifest(dir: string): EnsembleManifest {
  const file = path.join(dir, ENSEMBLE_MANIFEST);
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `No ${ENSEMBLE_MANIFEST} in ${dir}; make one with rampart ensemble (or saveEnsemble).`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RampartError('MODEL_CORRUPT', `${file} is not valid JSON (${(e as Error).message}); rewrite it with rampart ensemble.`);
  }
  const parsed = ensembleManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RampartError('MODEL_CORRUPT', `${file} is not a valid Rampart ensemble manifest (${issues}); see docs/harden.md (Ensembles) for its fields.`);
  }
  const manifest = parsed.data;
  if (manifest.weights && manifest.weights.length !== manifest.members.length) {
    throw new RampartError('BAD_OPTION', `${file}: "weights" has ${manifest.weights.length} entries for ${manifest.members.length} members; give one weight per member.`);
  }
  if (manifest.voting === 'stacking' && !manifest.meta) throw new RampartError('MODEL_CORRUPT', `${file}: a stacking ensemble needs "meta" (the meta-learner); retrain it with rampart ensemble --method stacking.`);
  return manifest;
}

/** Absolute spec of a member entry (builtin:NAME stays as it is). */
export function ensembleMemberSpec(dir: string, member: string): string {
  return member.startsWith('builtin:') ? member : path.resolve(dir, member);
}

/** Checks every member path exists before anything loads. */
export function checkEnsembleMembers(dir: string, manifest: EnsembleManifest): void {
  manifest.members.forEach((m, i) => {
    const spec = ensembleMemberSpec(dir, m);
    if (!m.startsWith('builtin:') && !fs.existsSync(spec)) {
      throw new RampartError('FILE_NOT_FOUND', `Ensemble member ${i} ("${m}") of ${path.join(dir, ENSEMBLE_MANIFEST)} does not exist at ${spec}; restore that folder or remove it from "members" (and its weight).`);
    }
    // a member that is itself an ensemble folder (or this one) would nest or loop
    if (path.basename(spec) === ENSEMBLE_MANIFEST || (fs.existsSync(spec) && fs.statSync(spec).isDirectory() && fs.existsSync(path.join(spec, ENSEMBLE_MANIFEST)))) {
      throw new RampartError('BAD_OPTION', `Ensemble member ${i} ("${m}") of ${path.join(dir, ENSEMBLE_MANIFEST)} is itself an ensemble folder; nested ensembles are not supported — list its members instead.`);
    }
  });
}

/**
 * Loads an ensemble folder. `loadMember` loads one member spec (loadModel passes itself, so this file does not
 * import load.ts). Every member-level failure is re-thrown naming the member.
 */
export async function readEnsembleFolder(dir: string, loadMember: (spec: string) => Promise<Model>, options: { id?: string } = {}): Promise<EnsembleModel> {
  const manifest = readEnsembleManifest(dir);
  checkEnsembleMembers(dir, manifest);
  const file = path.join(dir, ENSEMBLE_MANIFEST);
  if (manifest.weights) normaliseWeights(manifest.weights, manifest.members.length, `${file}: "weights"`);
  const members: Model[] = [];
  try {
    for (let i = 0; i < manifest.members.length; i++) {
      const name = manifest.members[i];
      try {
        members.push(await loadMember(ensembleMemberSpec(dir, name)));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        throw new RampartError(e instanceof RampartError ? e.code : 'MODEL_CORRUPT', `Ensemble member ${i} ("${name}") of ${file} does not load: ${message}`);
      }
    }
    const id = options.id ?? `ensemble:${dir}`;
    const memberNames = manifest.members.map((m) => `"${m}"`);
    if (manifest.voting === 'stacking') {
      return new StackedEnsemble(members, Float32Array.from(manifest.meta!.weights), Float32Array.from(manifest.meta!.bias), { id, memberNames });
    }
    return new VotingEnsemble(members, { voting: manifest.voting, weights: manifest.weights, id, memberNames });
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
}
