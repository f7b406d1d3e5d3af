/**
 * The attack contract (Foolbox-style, with the harness owning trust). An attack is a config object:
 * identity and paper, the norms it handles, the knowledge it needs, its options as a zod schema, and `run`,
 * which only *proposes* adversarial inputs for one batch. The harness (harness.ts) selects targets, projects
 * onto the ε-ball, clips to bounds, re-verifies every example with an independent forward pass, counts
 * queries and computes metrics; an attack never reports its own success.
 */
import type { z } from 'zod';
import type { Tensor } from '../engine/tf.js';
import type { DifferentiableModel, Model } from '../engine/model.js';
import type { Random } from '../engine/random.js';
import type { Norm, ThreatModel } from '../threat/threat-model.js';

/** What the attacker may observe: input gradients, output scores (logits), or only the predicted label. */
export type AttackKnowledge = 'gradients' | 'scores' | 'decisions';

/**
 * fixed-epsilon: run once per ε of a sweep, searching inside the ball.
 * minimization: run once, looking for the smallest perturbation; the harness derives the whole
 * accuracy-vs-ε curve from the per-sample distances.
 */
export type AttackKind = 'fixed-epsilon' | 'minimization';

export interface AttackInput {
  /** Clean batch [N, ...], float32 in threat.bounds. Owned by the harness: do not dispose. */
  x: Tensor;
  /** True labels, length N. */
  labels: Int32Array;
  /** Target labels for targeted goals (chosen by the harness), length N; undefined when untargeted. */
  targets?: Int32Array;
  /** The threat model; fixed-epsilon attacks search within threat.epsilon, minimization attacks may ignore it. */
  threat: ThreatModel;
}

export interface AttackContext<M extends Model = Model> {
  /** The model, wrapped by the harness to count queries. */
  model: M;
  /** Seeded generator for every random choice of the attack. */
  random: Random;
  /**
   * Score/decision attacks report the queries each sample used (to success, or the whole budget); the harness
   * accepts the report only if it sums exactly to what its counting wrapper saw, and summarises it.
   */
  recordQueries?: (perSample: ArrayLike<number>) => void;
}

export interface AttackDefinition<S extends z.ZodTypeAny = z.ZodTypeAny, K extends AttackKnowledge = AttackKnowledge> {
  /** Stable kebab-case id used in flags, JSON and reports (e.g. `pgd`, `apgd-ce`). */
  id: string;
  title: string;
  /** Citation of the paper the attack follows, with a link. */
  paper: string;
  norms: readonly Norm[];
  requires: K;
  kind: AttackKind;
  /** Whether the attack supports targeted goals (given, random or least-likely targets). */
  targeted: boolean;
  /** Options schema: the single source of option types, defaults and validation. */
  options: S;
  /**
   * Proposes adversarial inputs for a batch. Returns a tensor of x's shape that the harness owns; every other
   * tensor the attack allocates must be disposed.
   */
  run(
    input: AttackInput,
    context: AttackContext<AttackModel<K>>,
    options: z.output<S>,
  ): Promise<Tensor>;
}

/** The model type an attack receives for its knowledge level. */
export type AttackModel<K extends AttackKnowledge> = K extends 'gradients' ? DifferentiableModel : Model;

/** Identity helper that keeps the option schema's types flowing into `run`. */
export function defineAttack<S extends z.ZodTypeAny, K extends AttackKnowledge>(definition: AttackDefinition<S, K>): AttackDefinition<S, K> {
  return definition;
}

/** A definition of any options and knowledge, as the registry and harness hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAttackDefinition = AttackDefinition<z.ZodTypeAny, any>;
