/**
 * The audit suite: what `rampart audit` measures, as one zod schema (the single source of types, defaults and
 * validation). A suite is a YAML or JSON file; every key is checked (unknown keys are rejected), and every
 * problem is reported with its key path (`sections[1].epsilons[2]: ...`) before anything runs or is written.
 *
 * Shape:
 * ```yaml
 * model: builtin:mnist-cnn      # optional; --model overrides
 * data: mnist:test              # optional; --data overrides
 * seed: 0
 * limit: null                   # optional cap on every section's sample count (--limit)
 * batchSize: 256
 * sections:                     # run in this order; omitted → the default suite (DEFAULT_SECTIONS)
 *   - type: clean
 *   - type: robustness
 *     norm: linf
 *     epsilons: [0.05, 0.1, 0.2, 0.3]
 *     preset: autoattack        # or attacks: [{id: pgd, options: {steps: 40}}]
 *     samples: 100
 * ```
 * ε is in input units: the built-in models take inputs in [0, 1], so an L∞ ε must lie in [0, 1] (a larger ball
 * contains the whole input box and the number would be meaningless).
 *
 * @example
 * const suite = parseAuditConfig(yamlText, 'audit.yaml');   // throws RampartError('BAD_OPTION') listing every field problem
 * suite.sections.map((s) => s.id);                           // ['clean', 'robustness', ...]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import YAML from 'yaml';
import { RampartError } from '../../errors.js';
import { attackRegistry } from '../../attacks/builtin.js';
import { corruptionRegistry } from '../../corruptions/builtin.js';
import { explainerRegistry } from '../../validate/explain/builtin.js';

const norm = z.enum(['linf', 'l2', 'l1', 'l0']);
/** Samples a section uses (the first N of the data; null = all). */
const samples = (byDefault: number | null) => z.number().int().min(1).nullable().default(byDefault);
const sectionId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a section id is kebab-case: lowercase letters, digits and dashes')
  .optional();
const common = { id: sectionId, title: z.string().min(1).optional() };
/**
 * Result files of `rampart validate|sensitivity|explain` that fill the section instead of computing it (see
 * include.ts); one path or a list.
 */
const includedFrom = z
  .union([z.string().min(1).transform((file) => [file]), z.array(z.string().min(1)).min(1)])
  .optional();
/** Gallery examples a section keeps (0 = none). */
const galleryCount = z.number().int().min(0).max(32);

export const cleanSectionSchema = z
  .object({ type: z.literal('clean'), ...common, samples: samples(null) })
  .strict();

export const attackSpecSchema = z
  .object({ id: z.string().min(1), options: z.record(z.unknown()).default({}) })
  .strict();

export const robustnessSectionSchema = z
  .object({
    type: z.literal('robustness'),
    ...common,
    samples: samples(100),
    norm: norm.default('linf'),
    epsilons: z.array(z.number()).min(1, 'give at least one ε').default([0.05, 0.1, 0.2, 0.3]),
    /** A named cascade from src/attacks/cascade.ts; mutually exclusive with `attacks`. */
    preset: z.enum(['autoattack']).optional(),
    attacks: z.array(attackSpecSchema).min(1).optional(),
    /** Given to every attack that has the option (like `rampart attack --steps/--restarts/--queries`). */
    steps: z.number().int().min(1).optional(),
    restarts: z.number().int().min(1).optional(),
    queries: z.number().int().min(1).optional(),
    targeted: z.enum(['random', 'least-likely']).nullable().default(null),
    /** Run later attacks only on points still robust (always on for a preset). */
    cascade: z.boolean().default(true),
    batchSize: z.number().int().min(1).default(100),
    gallery: galleryCount.default(4),
  })
  .strict();

export const corruptionsSectionSchema = z
  .object({
    type: z.literal('corruptions'),
    ...common,
    samples: samples(500),
    suite: z.enum(['mnist-c', 'common']).default('mnist-c'),
    /** Subset of corruption ids (default: the whole suite). */
    corruptions: z.array(z.string().min(1)).min(1).optional(),
    severities: z.array(z.number().int().min(1).max(5)).min(1).optional(),
    /** Baseline model for CE/mCE: 'auto' = builtin:mnist-mlp for 28×28×1 data, 'none', or a model spec. */
    baseline: z.string().min(1).default('auto'),
    gallery: galleryCount.default(4),
  })
  .strict();

const oodSetSchema = z.union([
  z.enum(['noise', 'uniform', 'fashion-mnist']),
  z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case name'), data: z.string().min(1) }).strict(),
]);

export const oodSectionSchema = z
  .object({
    type: z.literal('ood'),
    ...common,
    samples: samples(500),
    sets: z.array(oodSetSchema).min(1).default(['noise', 'fashion-mnist']),
    scores: z.array(z.enum(['msp', 'max-logit', 'energy', 'odin'])).min(1).default(['msp', 'max-logit', 'energy']),
    /** The score reported in the summary (must be one of `scores`). */
    primaryScore: z.enum(['msp', 'max-logit', 'energy', 'odin']).default('msp'),
  })
  .strict();

export const calibrationSectionSchema = z
  .object({
    type: z.literal('calibration'),
    ...common,
    samples: samples(1000),
    bins: z.number().int().min(1).max(1000).default(15),
    fitFraction: z.number().gt(0).lt(1).default(0.5),
  })
  .strict();

export const stabilitySectionSchema = z
  .object({
    type: z.literal('stability'),
    ...common,
    samples: samples(100),
    sequences: z
      .array(z.enum(['translate', 'rotate', 'scale', 'brightness', 'zoom-blur', 'gaussian-noise', 'shot-noise']))
      .min(1)
      .default(['translate', 'rotate', 'scale', 'brightness', 'zoom-blur', 'gaussian-noise', 'shot-noise']),
    frames: z.number().int().min(2).max(100).default(30),
    /** Baseline for flip rates: 'auto' (builtin:mnist-mlp on 28×28×1 data), 'none', or a model spec. */
    baseline: z.string().min(1).default('none'),
  })
  .strict();

export const certificationSectionSchema = z
  .object({
    type: z.literal('certification'),
    ...common,
    method: z.enum(['randomized-smoothing', 'ibp', 'crown-ibp', 'crown', 'alpha-crown']),
    samples: samples(50),
    /** Radii to report certified accuracy at (L2 for smoothing, L∞ for ibp/crown by default). */
    epsilons: z.array(z.number()).min(1).default([0.1, 0.25, 0.5]),
    norm: norm.optional(),
    /** Randomized smoothing: noise σ, selection / estimation samples, failure probability. */
    sigma: z.number().gt(0).optional(),
    n0: z.number().int().min(1).optional(),
    n: z.number().int().min(1).optional(),
    alpha: z.number().gt(0).lt(1).optional(),
    batchSize: z.number().int().min(1).default(500),
  })
  .strict();

export const validationSectionSchema = z
  .object({
    type: z.literal('validation'),
    ...common,
    from: includedFrom,
    samples: samples(20),
    checks: z.array(z.enum(['gradient-masking', 'binarization'])).min(1).default(['gradient-masking', 'binarization']),
    norm: z.enum(['linf', 'l2']).default('linf'),
    epsilon: z.number().default(0.1),
    /** The attack whose evaluation is checked (run unchanged on the binarized model and by the diagnostics). */
    attack: attackSpecSchema.default({ id: 'pgd', options: { steps: 20 } }),
  })
  .strict();

/** Parameter variability (K retrainings): off unless configured, it trains K models. */
export const parameterVariabilityConfigSchema = z
  .object({
    /** Training data spec (e.g. mnist:train, csv:train.csv). */
    train: z.string().min(1),
    /** Use at most this many training samples (null: all). */
    trainLimit: z.number().int().min(1).nullable().default(2000),
    runs: z.number().int().min(2).max(20).default(3),
    /** bootstrap: resample the training rows; noise: add N(0, noise²) to every input value. */
    resample: z.enum(['bootstrap', 'noise']).default('bootstrap'),
    noise: z.number().positive().finite().default(0.05),
    arch: z.enum(['mlp', 'cnn']).default('mlp'),
    epochs: z.number().int().min(1).max(1000).default(3),
    batchSize: z.number().int().min(1).default(64),
    learningRate: z.number().positive().finite().default(1e-3),
    varyInitialisation: z.boolean().default(false),
  })
  .strict();

export const sensitivitySectionSchema = z
  .object({
    type: z.literal('sensitivity'),
    ...common,
    from: includedFrom,
    /** false: the section is listed as skipped (nothing runs). */
    enabled: z.boolean().default(true),
    samples: samples(100),
    /** auto: occlusion for image data, features for tabular data. */
    mode: z.enum(['auto', 'occlusion', 'features']).default('auto'),
    /** features mode: size of the ± nudge of each feature (input units). */
    amount: z.number().positive().finite().default(0.1),
    /** occlusion mode: patch side and stride in pixels (stride null = the patch side), occluding value. */
    patch: z.number().int().min(1).default(4),
    stride: z.number().int().min(1).nullable().default(null),
    fill: z.union([z.number().finite(), z.literal('mean')]).default(0),
    /** Rows of the ranked table kept in results.json (the heatmap always covers every patch / pixel). */
    top: z.number().int().min(1).max(1000).default(20),
    /** Parameter variability over K retrainings (null: not run). */
    parameters: parameterVariabilityConfigSchema.nullable().default(null),
  })
  .strict();

const explanationVariant = z.enum(['clean', 'adversarial', 'corrupted']);
export const explanationsSectionSchema = z
  .object({
    type: z.literal('explanations'),
    ...common,
    from: includedFrom,
    /** false: the section is listed as skipped (nothing runs). */
    enabled: z.boolean().default(true),
    /** Inputs explained (the first N samples). */
    samples: samples(4),
    /** Attribution methods (ids of src/validate/explain: vanilla, integrated-gradients, smoothgrad). */
    methods: z.array(z.string().min(1)).min(1).default(['vanilla', 'integrated-gradients', 'smoothgrad']),
    output: z.enum(['logit', 'probability']).default('logit'),
    explainClass: z.enum(['predicted', 'label']).default('predicted'),
    integratedGradients: z
      .object({ steps: z.number().int().min(1).max(10_000).default(32), baseline: z.union([z.enum(['min', 'zero']), z.number().finite()]).default('min') })
      .strict()
      .default({}),
    smoothgrad: z
      .object({ samples: z.number().int().min(1).max(10_000).default(25), noiseLevel: z.number().min(0).max(10).default(0.15) })
      .strict()
      .default({}),
    /** Versions of each input explained; clean is required (the others are compared with it). */
    variants: z.array(explanationVariant).min(1).default(['clean', 'adversarial', 'corrupted']),
    /** The adversarial variant: this attack (through the harness) at norm / ε. */
    attack: attackSpecSchema.default({ id: 'pgd', options: { steps: 20 } }),
    norm: z.enum(['linf', 'l2', 'l1']).default('linf'),
    epsilon: z.number().default(0.1),
    /** The corrupted variant: a corruption id and severity 1-5. */
    corruption: z.object({ id: z.string().min(1), severity: z.number().int().min(1).max(5) }).strict().default({ id: 'fog', severity: 3 }),
  })
  .strict();

export const sectionConfigSchema = z.discriminatedUnion('type', [
  cleanSectionSchema,
  robustnessSectionSchema,
  corruptionsSectionSchema,
  oodSectionSchema,
  calibrationSectionSchema,
  stabilitySectionSchema,
  certificationSectionSchema,
  validationSectionSchema,
  sensitivitySectionSchema,
  explanationsSectionSchema,
]);

export type SectionConfigInput = z.input<typeof sectionConfigSchema>;
/** A section config after defaults, with its id and title resolved. */
export type SectionConfig = z.output<typeof sectionConfigSchema> & { id: string; title: string };
export type SectionConfigOf<T extends SectionConfig['type']> = Extract<SectionConfig, { type: T }>;

/**
 * The default suite (documented in docs/audit.md). Sample counts are sized so that `rampart audit` on
 * builtin:mnist-cnn / mnist:test finishes in under 5 minutes on 2 cores (measured figure in docs/audit.md).
 */
export const DEFAULT_SECTIONS: SectionConfigInput[] = [
  { type: 'clean' },
  { type: 'robustness', id: 'robustness-linf', norm: 'linf', preset: 'autoattack', epsilons: [0.05, 0.1, 0.2, 0.3], samples: 100 },
  { type: 'corruptions', suite: 'mnist-c', samples: 500 },
  { type: 'ood', sets: ['noise', 'fashion-mnist'], samples: 500 },
  { type: 'calibration', samples: 1000 },
  { type: 'stability', samples: 100 },
  { type: 'certification', id: 'smoothing', method: 'randomized-smoothing', norm: 'l2', sigma: 0.25, n0: 100, n: 1000, alpha: 0.001, epsilons: [0.25, 0.5], samples: 50 },
  { type: 'certification', id: 'crown', method: 'crown', norm: 'linf', epsilons: [0.005, 0.01, 0.02], samples: 20 },
  { type: 'validation', samples: 20 },
  { type: 'sensitivity', samples: 100 },
  { type: 'explanations', samples: 4 },
];

export const auditConfigSchema = z
  .object({
    /** Model and data specs (the CLI's --model / --data override them). */
    model: z.string().min(1).default('builtin:mnist-cnn'),
    data: z.string().min(1).default('mnist:test'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    /** Caps every section's sample count (the CLI's --limit). */
    limit: z.number().int().min(1).nullable().default(null),
    batchSize: z.number().int().min(1).default(256),
    sections: z.array(sectionConfigSchema).min(1, 'give at least one section').default(DEFAULT_SECTIONS),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.sections.forEach((section, index) => {
      const id = section.id ?? defaultId(section);
      const previous = seen.get(id);
      if (previous !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['sections', index, 'id'],
          message: `section id "${id}" is already used by sections[${previous}]; give this section its own id`,
        });
      } else seen.set(id, index);
      epsilonIssues(section).forEach(({ path, message }) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sections', index, ...path], message }));
    });
  });

export type AuditConfigInput = z.input<typeof auditConfigSchema>;
export interface AuditConfig extends Omit<z.output<typeof auditConfigSchema>, 'sections'> {
  sections: SectionConfig[];
}

function defaultId(section: { type: string; id?: string; method?: string; norm?: string }): string {
  if (section.type === 'certification' && section.method) return section.method;
  return section.type;
}

const titles: Record<SectionConfig['type'], string> = {
  clean: 'Clean accuracy',
  robustness: 'Adversarial robustness',
  corruptions: 'Common corruptions',
  ood: 'Out-of-distribution detection',
  calibration: 'Calibration',
  stability: 'Perturbation stability',
  certification: 'Certified robustness',
  validation: 'Evaluation validity checks',
  sensitivity: 'Sensitivity analysis',
  explanations: 'Explanations (saliency)',
};

/** Per-field problems with ε values: negative, non-finite, L∞ beyond the [0, 1] input range, non-integer L0. */
function epsilonIssues(section: z.output<typeof sectionConfigSchema>): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const check = (value: number, n: string, path: (string | number)[]) => {
    if (!Number.isFinite(value) || value < 0) issues.push({ path, message: `ε = ${value} is impossible: an ε must be a finite number ≥ 0` });
    else if (n === 'linf' && value > 1) issues.push({ path, message: `ε = ${value} is outside [0, 1], the range of the inputs: an L∞ ball that large covers every input; use a value in [0, 1]` });
    else if (n === 'l0' && !Number.isInteger(value)) issues.push({ path, message: `ε = ${value} must be an integer for the l0 norm (the number of values that may change)` });
  };
  if (section.type === 'robustness') section.epsilons.forEach((e, i) => check(e, section.norm, ['epsilons', i]));
  if (section.type === 'certification') {
    const n = section.norm ?? (section.method === 'randomized-smoothing' ? 'l2' : 'linf');
    if (section.method === 'randomized-smoothing' && n !== 'l2') issues.push({ path: ['norm'], message: `randomized smoothing (Gaussian) certifies L2 radii; set norm: l2 (got ${n})` });
    if (section.method !== 'randomized-smoothing' && n !== 'linf' && n !== 'l2') issues.push({ path: ['norm'], message: `${section.method} certifies linf or l2 balls; got ${n}` });
    section.epsilons.forEach((e, i) => check(e, n, ['epsilons', i]));
  }
  if (section.type === 'validation') {
    check(section.epsilon, section.norm, ['epsilon']);
    if (!(section.epsilon > 0)) issues.push({ path: ['epsilon'], message: 'the validity checks need an ε > 0' });
    if (!attackRegistry.has(section.attack.id)) issues.push({ path: ['attack', 'id'], message: `unknown attack "${section.attack.id}"; available: ${attackRegistry.ids().join(', ')}` });
  }
  if (section.type === 'sensitivity' && section.stride !== null && section.stride > section.patch) {
    issues.push({ path: ['stride'], message: `stride ${section.stride} is larger than the patch side ${section.patch}: pixels between patches would never be occluded; use a stride ≤ patch` });
  }
  if (section.type === 'explanations') {
    section.methods.forEach((id, i) => {
      if (!explainerRegistry.has(id)) issues.push({ path: ['methods', i], message: `unknown explanation method "${id}"; available: ${explainerRegistry.ids().join(', ')}` });
    });
    if (!section.variants.includes('clean')) issues.push({ path: ['variants'], message: 'variants must include clean (the adversarial and corrupted saliency maps are compared with the clean ones)' });
    if (section.variants.includes('adversarial')) {
      check(section.epsilon, section.norm, ['epsilon']);
      if (!(section.epsilon > 0)) issues.push({ path: ['epsilon'], message: 'the adversarial variant needs an ε > 0 (or drop adversarial from variants)' });
      if (!attackRegistry.has(section.attack.id)) issues.push({ path: ['attack', 'id'], message: `unknown attack "${section.attack.id}"; available: ${attackRegistry.ids().join(', ')}` });
    }
    if (section.variants.includes('corrupted') && !corruptionRegistry.has(section.corruption.id)) {
      issues.push({ path: ['corruption', 'id'], message: `unknown corruption "${section.corruption.id}"; available: ${corruptionRegistry.ids().join(', ')}` });
    }
  }
  if (section.type === 'robustness' && section.preset && section.attacks) {
    issues.push({ path: ['attacks'], message: 'give either preset or attacks, not both' });
  }
  if (section.type === 'robustness') {
    section.attacks?.forEach((a, i) => {
      if (!attackRegistry.has(a.id)) issues.push({ path: ['attacks', i, 'id'], message: `unknown attack "${a.id}"; available: ${attackRegistry.ids().join(', ')}` });
    });
  }
  if (section.type === 'corruptions' && section.corruptions) {
    const known = corruptionRegistry.listBySuite(section.suite).map((c) => c.id);
    section.corruptions.forEach((id, i) => {
      if (!known.includes(id)) issues.push({ path: ['corruptions', i], message: `"${id}" is not a corruption of suite ${section.suite} (${known.join(', ')})` });
    });
  }
  if (section.type === 'ood' && !section.scores.includes(section.primaryScore)) {
    issues.push({ path: ['primaryScore'], message: `primaryScore "${section.primaryScore}" must be one of scores (${section.scores.join(', ')})` });
  }
  return issues;
}

/** `sections[1].epsilons[2]` from a zod path. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(top level)';
}

/** One line per problem: `key.path: message`. */
export function formatIssues(error: z.ZodError): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${formatKeyPath([...issue.path, key])}: unknown key (not part of the audit suite; check the spelling, see docs/audit.md)`);
    } else if (issue.code === 'invalid_union_discriminator') {
      lines.push(`${formatKeyPath(issue.path)}: unknown section type; choose one of ${issue.options.map(String).join(', ')}`);
    } else {
      lines.push(`${formatKeyPath(issue.path)}: ${issue.message}`);
    }
  }
  return lines;
}

/** Resolves a parsed suite: section ids and titles filled in. */
function resolve(parsed: z.output<typeof auditConfigSchema>): AuditConfig {
  return {
    ...parsed,
    sections: parsed.sections.map((section) => ({ ...section, id: section.id ?? defaultId(section), title: section.title ?? titleOf(section) })) as SectionConfig[],
  };
}

function titleOf(section: z.output<typeof sectionConfigSchema>): string {
  if (section.type === 'robustness') return `${titles.robustness} (${section.norm})`;
  if (section.type === 'certification') return `${titles.certification} (${section.method})`;
  return titles[section.type];
}

/** Validates a suite object; throws one RampartError('BAD_OPTION') listing every problem with its key path. */
export function resolveAuditConfig(input: unknown, source = 'the audit config'): AuditConfig {
  const parsed = auditConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    // zod skips the cross-field checks (ε ranges) when any field fails; run them on every section that parses
    // by itself, so one run reports every problem.
    const problems = [...new Set([...formatIssues(parsed.error), ...sectionLevelProblems(input)])];
    throw new RampartError('BAD_OPTION', `${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`, { problems });
  }
  return resolve(parsed.data);
}

function sectionLevelProblems(input: unknown): string[] {
  const sections = (input as { sections?: unknown })?.sections;
  if (!Array.isArray(sections)) return [];
  return sections.flatMap((raw, index) => {
    const parsed = sectionConfigSchema.safeParse(raw);
    return parsed.success ? epsilonIssues(parsed.data).map(({ path, message }) => `${formatKeyPath(['sections', index, ...path])}: ${message}`) : [];
  });
}

/** Parses YAML (a superset of JSON) text, then validates it. */
export function parseAuditConfig(text: string, source = 'the audit config'): AuditConfig {
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (error) {
    throw new RampartError('BAD_OPTION', `${source} is not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}. Fix the syntax (see docs/audit.md for an example).`);
  }
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    throw new RampartError('BAD_OPTION', `${source} must be a mapping of keys (model, data, seed, limit, batchSize, sections); got ${Array.isArray(value) ? 'a list' : typeof value}.`);
  }
  return resolveAuditConfig(value ?? {}, source);
}

export function readAuditConfig(file: string): AuditConfig {
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `Audit config ${file} does not exist; check --config.`);
  return parseAuditConfig(fs.readFileSync(file, 'utf8'), file);
}

/** JSON with object keys sorted, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function configSha256(config: AuditConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** Samples a section uses: its own count, capped by the global limit and the data size. */
export function sectionSamples(section: SectionConfig, config: AuditConfig, available: number): number {
  let n = section.samples ?? available;
  if (config.limit !== null) n = Math.min(n, config.limit);
  return Math.min(n, available);
}
