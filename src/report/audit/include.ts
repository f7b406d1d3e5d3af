/**
 * Previously computed results in an audit: the JSON of `rampart validate --out F`, `rampart sensitivity --out F`
 * and `rampart explain --out DIR` (its `explain.json`) becomes the audit's `validation`, `sensitivity` or
 * `explanations` section instead of being recomputed. A section config names the files in `from` (the CLI's
 * `--include FILE` sets it on the suite's first section of the file's kind, or appends one); each file is checked
 * against the result envelope every Rampart command writes (schemaVersion 1, tool, command, model, data, seed,
 * metrics, timing) and against the fields its kind needs, and a file computed for a different model (sha256) or
 * data set is embedded with a warning saying so.
 *
 * - validation: one `rampart validate` result: a check per binarization ε plus its diagnostics.
 * - sensitivity: one features/occlusion result, optionally with one `--mode parameters` result.
 * - explanations: one `explain.json` per attribution method (same inputs and variants); its PNGs (beside the
 *   file) are copied into `<out>/gallery/` and inlined.
 *
 * @example
 * rampart explain --model builtin:mnist-cnn --method smoothgrad --attack pgd --eps 0.1 --out ex-sg
 * rampart audit --include ex-sg/explain.json --include sens.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RampartError } from '../../errors.js';
import { modelSha256, resolveModelSpec } from '../../engine/load.js';
import type { FeatureSensitivityResult, ParameterVariabilityResult } from '../../validate/index.js';
import { sectionConfigSchema, type AuditConfig, type SectionConfig } from './config.js';
import type { AuditContext, SectionOutcome } from './context.js';
import { sensitivityMetrics } from './sections/sensitivity.js';
import { saliencyEntry } from './sections/explanations.js';
import type { AuditWarning, ExplanationExample, ExplanationsMetrics, ExplanationVariantName, GalleryImage, ParameterVariabilityMetrics, ValidationCheck } from './results.js';

export type IncludedKind = 'validation' | 'sensitivity' | 'explanations';

const envelopeSchema = z
  .object({
    schemaVersion: z.literal(1),
    tool: z.object({ name: z.literal('rampart'), version: z.string() }).passthrough(),
    command: z.string(),
    model: z.object({ spec: z.string(), format: z.string(), sha256: z.string(), inputShape: z.array(z.number()), numClasses: z.number() }).passthrough(),
    data: z.object({ spec: z.string(), count: z.number() }).passthrough(),
    seed: z.number(),
    metrics: z.record(z.unknown()),
    timing: z.object({ seconds: z.number(), samplesPerSecond: z.number() }).passthrough(),
  })
  .passthrough();
type Envelope = z.infer<typeof envelopeSchema>;

const validateSchema = z
  .object({
    attack: z.object({ id: z.string(), options: z.record(z.unknown()) }),
    binarization: z.array(
      z.object({ threat: z.object({ norm: z.string(), epsilon: z.number() }).passthrough(), testSuccessRate: z.number().nullable(), randomBoundarySuccessRate: z.number().nullable(), tested: z.number(), setupFailures: z.number(), considered: z.number(), threshold: z.number(), passed: z.boolean() }).passthrough(),
    ),
    diagnostics: z
      .object({
        flags: z.array(z.object({ id: z.string(), title: z.string(), severity: z.string(), message: z.string() }).passthrough()),
        checks: z.array(z.object({ id: z.string(), status: z.string(), reason: z.string().optional(), evidence: z.record(z.unknown()).optional() }).passthrough()),
      })
      .passthrough()
      .nullable(),
  })
  .passthrough();

const unitSchema = z.object({ unit: z.number(), name: z.string(), accuracyDrop: z.number(), outputVariance: z.number(), meanProbabilityChange: z.number() }).passthrough();
const sensitivitySchema = z
  .object({
    mode: z.enum(['features', 'occlusion', 'parameters']),
    features: z
      .object({
        mode: z.enum(['features', 'occlusion']),
        settings: z.object({ amount: z.number().optional(), patch: z.number().optional(), stride: z.number().optional(), fill: z.number().optional() }).passthrough(),
        samples: z.number(),
        cleanAccuracy: z.number(),
        units: z.array(unitSchema),
        ranking: z.array(unitSchema),
        heatmap: z.object({ rows: z.number(), cols: z.number(), accuracyDrop: z.array(z.array(z.number())), outputVariance: z.array(z.array(z.number())) }).passthrough().optional(),
        seconds: z.number(),
      })
      .passthrough()
      .optional(),
    parameters: z
      .object({
        runs: z.number(),
        resample: z.enum(['bootstrap', 'noise']),
        trainCount: z.number(),
        evaluationCount: z.number(),
        metrics: z.object({ accuracy: z.object({ mean: z.number(), std: z.number(), min: z.number(), max: z.number() }), perRun: z.array(z.number()) }),
        predictions: z.object({ meanPairwiseFlipRate: z.number(), maxPairwiseFlipRate: z.number(), unstableFraction: z.number() }),
        weights: z.array(z.object({ layer: z.string(), parameters: z.number(), meanStd: z.number(), meanAbs: z.number(), relativeStd: z.number(), meanPairwiseRelativeDistance: z.number() })),
        seconds: z.number(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

const variantName = z.enum(['clean', 'adversarial', 'corrupted']);
const explainMetricsSchema = z
  .object({
    method: z.string(),
    methodTitle: z.string(),
    paper: z.string(),
    methodOptions: z.record(z.unknown()),
    output: z.enum(['logit', 'probability']),
    explainClass: z.enum(['predicted', 'label']),
    variants: z.array(
      z
        .object({
          name: variantName,
          description: z.string(),
          accuracy: z.number(),
          meanSimilarityToClean: z.number().optional(),
          meanCompletenessGap: z.number().optional(),
          inputs: z.array(
            z
              .object({
                index: z.number().int().min(0),
                label: z.number().int(),
                predicted: z.number().int(),
                explainedClass: z.number().int(),
                score: z.number(),
                attributionSum: z.number(),
                completenessGap: z.number().optional(),
                attackSuccess: z.boolean().optional(),
                similarityToClean: z.number().optional(),
                input: z.string().optional(),
                saliency: z.string().optional(),
              })
              .passthrough(),
          ),
        })
        .passthrough(),
    ),
  })
  .passthrough();
type ExplainMetrics = z.infer<typeof explainMetricsSchema>;

function problemsOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`)
    .join('; ');
}

/** Reads a result file and says which section it fills; throws a RampartError naming the file and the fix. */
export function readIncludedResult(file: string): { kind: IncludedKind; envelope: Envelope } {
  if (!fs.existsSync(file)) throw new RampartError('FILE_NOT_FOUND', `Included result ${file} does not exist; give the JSON written by rampart validate|sensitivity --out FILE or rampart explain --out DIR (DIR/explain.json).`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RampartError('BAD_OPTION', `Included result ${file} is not JSON (${(error as Error).message}); give the file a rampart command wrote with --out.`);
  }
  const parsed = envelopeSchema.safeParse(value);
  if (!parsed.success) throw new RampartError('BAD_OPTION', `Included result ${file} is not a Rampart result envelope (${problemsOf(parsed.error)}); give the JSON of rampart validate, sensitivity or explain.`);
  const envelope = parsed.data;
  const record = envelope as Record<string, unknown>;
  let kind: IncludedKind | null = null;
  if ('binarization' in record && 'diagnostics' in record) kind = 'validation';
  else if ('mode' in record && ('features' in record || 'parameters' in record)) kind = 'sensitivity';
  else if (typeof envelope.metrics.method === 'string' && Array.isArray(envelope.metrics.variants)) kind = 'explanations';
  if (!kind) throw new RampartError('BAD_OPTION', `Included result ${file} (from "${envelope.command}") is not a result of rampart validate, sensitivity or explain; only those can become audit sections.`);
  const check = kind === 'validation' ? validateSchema.safeParse(value) : kind === 'sensitivity' ? sensitivitySchema.safeParse(value) : explainMetricsSchema.safeParse(envelope.metrics);
  if (!check.success) throw new RampartError('BAD_OPTION', `Included ${kind} result ${file} is incomplete (${problemsOf(check.error)}); rerun the command that wrote it with this Rampart version.`);
  return { kind, envelope };
}

/**
 * The suite with the given result files embedded: each file sets `from` on the suite's first section of its kind
 * (explain.json files of several methods join the same explanations section), or adds a section of that kind.
 */
export function withIncludedResults(config: AuditConfig, files: readonly string[]): AuditConfig {
  if (files.length === 0) return config;
  const sections = [...config.sections];
  const claimed = new Map<IncludedKind, number>();
  for (const file of files) {
    const { kind } = readIncludedResult(file);
    let index = claimed.get(kind) ?? sections.findIndex((s) => s.type === kind && !('from' in s && s.from));
    if (index < 0) {
      const id = sections.some((s) => s.id === kind) ? `included-${kind}` : kind;
      sections.push({ ...sectionConfigSchema.parse({ type: kind }), id, title: `${kind === 'validation' ? 'Evaluation validity checks' : kind === 'sensitivity' ? 'Sensitivity analysis' : 'Explanations (saliency)'} (included)` } as SectionConfig);
      index = sections.length - 1;
    }
    claimed.set(kind, index);
    const section = sections[index] as SectionConfig & { from?: string[] };
    sections[index] = { ...section, from: [...(section.from ?? []), file] } as SectionConfig;
  }
  return { ...config, sections };
}

/** The audited model's sha256 (null when it cannot be computed, e.g. an in-memory model). */
function auditedModelSha(context: AuditContext): string | null {
  try {
    return modelSha256(resolveModelSpec(context.modelSpec));
  } catch {
    return null;
  }
}

function provenanceWarnings(file: string, envelope: Envelope, context: AuditContext, modelSha: string | null): AuditWarning[] {
  const warnings: AuditWarning[] = [];
  if (modelSha !== null && envelope.model.sha256 && envelope.model.sha256 !== modelSha) {
    warnings.push({ code: 'included-model-mismatch', message: `${file} was computed for model ${envelope.model.spec} (sha256 ${envelope.model.sha256.slice(0, 12)}…), not the audited model (sha256 ${modelSha.slice(0, 12)}…); its numbers describe that model` });
  }
  if (envelope.data.spec !== context.dataSpec) warnings.push({ code: 'included-data-mismatch', message: `${file} was computed on ${envelope.data.spec}, the audit on ${context.dataSpec}` });
  return warnings;
}

function pngSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 24 || bytes.subarray(1, 4).toString('latin1') !== 'PNG') throw new RampartError('BAD_OPTION', 'An included explanation image is not a PNG file; rerun rampart explain.');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Copies an explain PNG into the audit's gallery and inlines it. */
function copyImage(from: string, outDir: string, name: string): GalleryImage {
  const bytes = fs.readFileSync(from);
  const { width, height } = pngSize(bytes);
  const dir = path.join(outDir, 'gallery');
  fs.mkdirSync(dir, { recursive: true });
  const safe = name.replace(/[^a-z0-9.-]/gi, '_');
  fs.writeFileSync(path.join(dir, safe), bytes);
  return { file: `gallery/${safe}`, dataUri: `data:image/png;base64,${bytes.toString('base64')}`, width, height };
}

function validationChecks(value: z.infer<typeof validateSchema>): { checks: ValidationCheck[]; warnings: AuditWarning[] } {
  const checks: ValidationCheck[] = [];
  const warnings: AuditWarning[] = [];
  const several = value.binarization.length > 1;
  for (const b of value.binarization) {
    const id = several ? `binarization-${b.threat.epsilon}` : 'binarization';
    const details = { testSuccessRate: b.testSuccessRate, randomBoundarySuccessRate: b.randomBoundarySuccessRate, tested: b.tested, setupFailures: b.setupFailures, threshold: b.threshold };
    if (b.testSuccessRate === null) {
      checks.push({ id, title: 'Binarization test', outcome: 'skipped', message: `no sample could be tested (${b.setupFailures} setup failures of ${b.considered} considered)`, details });
      continue;
    }
    const rate = `${(b.testSuccessRate * 100).toFixed(0)}%`;
    checks.push({ id, title: 'Binarization test', outcome: b.passed ? 'pass' : 'fail', message: `${value.attack.id} found the known adversarial example on ${rate} of ${b.tested} binarized models at ${b.threat.norm} ε = ${b.threat.epsilon} (pass ≥ ${(b.threshold * 100).toFixed(0)}%)`, details });
    if (!b.passed) warnings.push({ code: 'binarization-failed', message: `binarization test failed: ${value.attack.id} at ${b.threat.norm} ε = ${b.threat.epsilon} succeeded on only ${rate} of the binarized models; its robust accuracy is likely overestimated` });
  }
  for (const check of value.diagnostics?.checks ?? []) {
    const flag = value.diagnostics!.flags.find((f) => f.id === check.id);
    const outcome: ValidationCheck['outcome'] = check.status === 'skipped' ? 'skipped' : flag ? (flag.severity === 'critical' ? 'fail' : 'warn') : 'pass';
    checks.push({ id: check.id, title: flag?.title ?? check.id, outcome, message: flag ? flag.message : check.status === 'skipped' ? (check.reason ?? 'skipped') : 'no sign of a problem', ...(check.evidence ? { details: check.evidence } : {}) });
    if (flag) warnings.push({ code: 'gradient-masking', message: `[${flag.severity}] ${flag.id}: ${flag.message}` });
  }
  return { checks, warnings };
}

function variabilityOf(parameters: ParameterVariabilityResult, command: string): ParameterVariabilityMetrics {
  const train = /--train[= ](\S+)/.exec(command)?.[1] ?? 'unknown (see the included command)';
  return {
    runs: parameters.runs,
    resample: parameters.resample,
    train,
    trainCount: parameters.trainCount,
    evaluationCount: parameters.evaluationCount,
    accuracy: { ...parameters.metrics.accuracy, perRun: parameters.metrics.perRun },
    meanPairwiseFlipRate: parameters.predictions.meanPairwiseFlipRate,
    maxPairwiseFlipRate: parameters.predictions.maxPairwiseFlipRate,
    unstableFraction: parameters.predictions.unstableFraction,
    weights: parameters.weights,
    seconds: parameters.seconds,
  };
}

function explanationsFrom(files: readonly string[], metrics: ExplainMetrics[], outDir: string, sectionId: string): ExplanationsMetrics {
  const first = metrics[0];
  const shape = (m: ExplainMetrics) => m.variants.map((v) => `${v.name}:${v.inputs.map((r) => `${r.index}/${r.label}`).join(',')}`).join(' ');
  metrics.forEach((m, k) => {
    if (shape(m) !== shape(first)) throw new RampartError('BAD_OPTION', `Included explanations ${files[k]} and ${files[0]} explain different inputs or variants; include explain.json files of one rampart explain setting (same --data, --limit, --attack, --corruption), one per --method.`);
    if (m.output !== first.output || m.explainClass !== first.explainClass) throw new RampartError('BAD_OPTION', `Included explanations ${files[k]} and ${files[0]} explain different scores (--output / --explain-class); use the same settings.`);
  });
  const examples: ExplanationExample[] = first.variants[0].inputs.map((input, i) => ({
    sampleIndex: input.index,
    trueLabel: input.label,
    variants: first.variants.map((variant, v) => {
      const row = variant.inputs[i];
      const inputFile = row.input ? path.join(path.dirname(files[0]), row.input) : null;
      return {
        name: variant.name as ExplanationVariantName,
        predicted: row.predicted,
        ...(row.attackSuccess !== undefined ? { attackSuccess: row.attackSuccess } : {}),
        input: inputFile && fs.existsSync(inputFile) ? copyImage(inputFile, outDir, `${sectionId}-${input.index}-${variant.name}-input.png`) : null,
        saliency: metrics.map((m, k) => {
          const r = m.variants[v].inputs[i];
          const file = r.saliency ? path.join(path.dirname(files[k]), r.saliency) : null;
          return saliencyEntry(m.method, r, file && fs.existsSync(file) ? copyImage(file, outDir, `${sectionId}-${input.index}-${variant.name}-${m.method}.png`) : null);
        }),
      };
    }),
  }));
  return {
    output: first.output,
    explainClass: first.explainClass,
    count: first.variants[0].inputs.length,
    variants: first.variants.map((v) => {
      const successes = v.inputs.flatMap((r) => (r.attackSuccess === undefined ? [] : [r.attackSuccess ? 1 : 0]));
      return { name: v.name, description: v.description, accuracy: v.accuracy, ...(successes.length ? { attackSuccessRate: successes.reduce((a: number, b) => a + b, 0) / successes.length } : {}) };
    }),
    methods: metrics.map((m) => ({
      id: m.method,
      title: m.methodTitle,
      paper: m.paper,
      options: m.methodOptions,
      variants: m.variants.map((v) => ({ name: v.name, ...(v.meanSimilarityToClean !== undefined ? { meanSimilarityToClean: v.meanSimilarityToClean } : {}), ...(v.meanCompletenessGap !== undefined ? { meanCompletenessGap: v.meanCompletenessGap } : {}) })),
    })),
    examples,
  };
}

/** Runs a section whose config has `from`: reads, checks and converts the included results (nothing is recomputed). */
export async function includeSection(section: SectionConfig & { from: string[] }, context: AuditContext): Promise<SectionOutcome> {
  const files = section.from;
  const read = files.map((file) => ({ file, ...readIncludedResult(file) }));
  for (const r of read) {
    if (r.kind !== section.type) throw new RampartError('BAD_OPTION', `${r.file} is a ${r.kind} result; it cannot fill the ${section.type} section "${section.id}".`);
  }
  const modelSha = auditedModelSha(context);
  const warnings = read.flatMap((r) => provenanceWarnings(r.file, r.envelope, context, modelSha));
  const parameters: Record<string, unknown> = { from: files, commands: read.map((r) => r.envelope.command), seeds: read.map((r) => r.envelope.seed), tool: read.map((r) => r.envelope.tool.version) };
  const method = (what: string) => `${what}, included from ${files.join(', ')} (${read.map((r) => r.envelope.command).join('; ')})`;
  if (section.type === 'validation') {
    if (read.length !== 1) throw new RampartError('BAD_OPTION', `The validation section "${section.id}" takes one included rampart validate result; got ${read.length}.`);
    const { checks, warnings: more } = validationChecks(validateSchema.parse(read[0].envelope));
    return { status: 'ok', method: method('binarization test and gradient-masking diagnostics'), parameters, samples: read[0].envelope.data.count, metrics: { checks }, warnings: [...warnings, ...more] };
  }
  if (section.type === 'sensitivity') {
    const parsed = read.map((r) => sensitivitySchema.parse(r.envelope));
    const features = parsed.filter((p) => p.features);
    const variability = parsed.filter((p) => p.parameters);
    if (features.length !== 1 || variability.length > 1 || read.length > 2) {
      throw new RampartError('BAD_OPTION', `The sensitivity section "${section.id}" takes one rampart sensitivity result of --mode features or occlusion, plus at most one of --mode parameters; got ${features.length} and ${variability.length}.`);
    }
    const top = section.top;
    const parametersResult = variability[0] ? variabilityOf(variability[0].parameters as unknown as ParameterVariabilityResult, read[parsed.indexOf(variability[0])].envelope.command) : null;
    const metrics = sensitivityMetrics(features[0].features as unknown as FeatureSensitivityResult, top, undefined, parametersResult);
    return { status: 'ok', method: method(metrics.mode === 'occlusion' ? 'occlusion sensitivity' : 'feature sensitivity'), parameters, samples: metrics.count, metrics, warnings };
  }
  if (section.type === 'explanations') {
    const metrics = explanationsFrom(files, read.map((r) => explainMetricsSchema.parse(r.envelope.metrics)), context.outDir, section.id);
    return { status: 'ok', method: method(`saliency maps (${metrics.methods.map((m) => m.title).join(', ')})`), parameters, samples: metrics.count, metrics, warnings };
  }
  throw new RampartError('BAD_OPTION', `Section type ${section.type} cannot be included from a file; only validation, sensitivity and explanations can.`);
}
