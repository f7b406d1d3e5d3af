/**
 * The explainer contract: an attribution method maps a batch of inputs and one class per input to an attribution
 * map of the input's shape (how much each input value contributes to that class's score). Methods are config
 * objects (`defineExplainer`) with a zod options schema, registered in builtin.ts. Attribution code is synchronous
 * tensor code: `attribute` runs inside the caller's `tf.tidy` and returns a tensor the caller owns.
 *
 * @example
 * const saliency = explainerRegistry.get('integrated-gradients');
 * const { attributions } = saliency.attribute({ model, x, classes, random }, saliency.options.parse({ steps: 64 }));
 */
import { z } from 'zod';
import type { Tensor } from '../../engine/tf.js';
import type { DifferentiableModel } from '../../engine/model.js';
import type { Random } from '../../engine/random.js';
import { RampartError } from '../../errors.js';

/** Which score of a class is explained: its logit (default), or its softmax probability. */
export const scoreOutputs = ['logit', 'probability'] as const;
export type ScoreOutput = (typeof scoreOutputs)[number];

export interface ExplainInput {
  model: DifferentiableModel;
  /** Inputs [N, ...inputShape] in the model's bounds. */
  x: Tensor;
  /** The class explained for each input. */
  classes: Int32Array;
  /** The score explained. */
  output: ScoreOutput;
  random: Random;
}

export interface Attribution {
  /** Same shape as x; the caller disposes it. */
  attributions: Tensor;
  /**
   * For path methods: per input, the score at x minus the score at the baseline, which the attributions must add up
   * to (completeness, Sundararajan et al. 2017, Proposition 1).
   */
  expectedSum?: Float32Array;
}

export interface ExplainerDefinition<O extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Stable kebab-case id (`integrated-gradients`). */
  readonly id: string;
  readonly title: string;
  /** Citation with a link. */
  readonly paper: string;
  readonly options: O;
  /** Synchronous tensor code; call inside `tf.tidy`. */
  attribute(input: ExplainInput, options: z.output<O>): Attribution;
}

export function defineExplainer<O extends z.ZodTypeAny>(definition: ExplainerDefinition<O>): ExplainerDefinition<O> {
  return definition;
}

/** Parses an explainer's options, with the schema's messages and the fix in the error. */
export function parseExplainerOptions<O extends z.ZodTypeAny>(definition: ExplainerDefinition<O>, options: unknown): z.output<O> {
  const parsed = definition.options.safeParse(options ?? {});
  if (!parsed.success) {
    throw new RampartError(
      'BAD_OPTION',
      `${definition.id}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}. See docs/explain.md for its options.`,
      { issues: parsed.error.issues },
    );
  }
  return parsed.data as z.output<O>;
}

/** Explainers by id; filled only in builtin.ts. */
export class ExplainerRegistry {
  private readonly explainers = new Map<string, ExplainerDefinition>();

  register<O extends z.ZodTypeAny>(definition: ExplainerDefinition<O>): this {
    if (this.explainers.has(definition.id)) throw new RampartError('INTERNAL', `Explainer "${definition.id}" is registered twice.`);
    // Stored type-erased: callers parse options with the definition's own schema before calling attribute.
    this.explainers.set(definition.id, definition as ExplainerDefinition);
    return this;
  }

  get(id: string): ExplainerDefinition {
    const found = this.explainers.get(id);
    if (!found) throw new RampartError('BAD_OPTION', `Unknown explanation method "${id}". Available: ${this.ids().join(', ')}.`, { id });
    return found;
  }

  has(id: string): boolean {
    return this.explainers.has(id);
  }

  ids(): string[] {
    return [...this.explainers.keys()];
  }
}
