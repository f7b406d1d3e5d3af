/**
 * `rampart explain`: attribution maps (vanilla gradient, Integrated Gradients, SmoothGrad) for the same inputs clean,
 * adversarial (`--attack`, verified by the harness) and corrupted (`--corruption`), written as PNGs for the audit
 * gallery plus a JSON result; `--clever` adds CLEVER scores (Weng et al. 2018) of the clean inputs to the JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { RampartError } from '../errors.js';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import { explainerRegistry } from '../validate/explain/builtin.js';
import { buildVariants, explainVariants, summarizeVariants, writeExplanationImages, type ExplainedInput, type ExplainedVariant, type ExplanationImages, type VariantName } from '../validate/explain/gallery.js';
import { cleverScores, type CleverReport } from '../validate/clever.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, layoutOption, parseInteger, parsePositiveNumber, printJson, startBackend, writeResultFile } from './common.js';

interface ExplainFlags {
  model: string;
  data: string;
  limit: number;
  method: string;
  output: 'logit' | 'probability';
  explainClass: 'predicted' | 'label';
  steps?: number;
  baseline?: string;
  samples?: number;
  noiseLevel?: number;
  attack?: string;
  attackOptions?: string;
  norm: 'linf' | 'l2' | 'l1';
  eps?: number;
  corruption?: string;
  severity: number;
  clever?: boolean;
  cleverNorm: 'l2' | 'linf' | 'l1';
  cleverRadius?: number;
  cleverBatches: number;
  cleverSamples: number;
  cleverTarget: string;
  seed: number;
  layout: 'auto' | 'nchw' | 'nhwc';
  json?: boolean;
  out: string;
}

/** The JSON `rampart explain` writes (the attributions themselves stay in the images). */
export interface ExplainMetrics {
  method: string;
  methodTitle: string;
  paper: string;
  methodOptions: unknown;
  output: 'logit' | 'probability';
  explainClass: 'predicted' | 'label';
  /** Folder of the PNGs; file names below are relative to it. */
  imagesDir: string;
  gallery?: string;
  variants: (Pick<ExplainedVariant, 'name' | 'description' | 'accuracy'> & {
    /** Mean cosine similarity of the saliency maps to the clean ones. */
    meanSimilarityToClean?: number;
    /** Mean completeness gap (path methods). */
    meanCompletenessGap?: number;
    /** Each input's figures; the attributions themselves are the PNG files named here. */
    inputs: (Omit<ExplainedInput, 'saliency' | 'attributions'> & { input?: string; saliency?: string })[];
  })[];
  clever?: CleverReport;
}

function methodOptionsFrom(flags: ExplainFlags): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (flags.method === 'integrated-gradients') {
    if (flags.steps !== undefined) options.steps = flags.steps;
    if (flags.baseline !== undefined) options.baseline = flags.baseline === 'min' || flags.baseline === 'zero' ? flags.baseline : Number(flags.baseline);
  } else if (flags.steps !== undefined || flags.baseline !== undefined) {
    throw new RampartError('BAD_OPTION', `--steps and --baseline belong to --method integrated-gradients, not ${flags.method}.`);
  }
  if (flags.method === 'smoothgrad') {
    if (flags.samples !== undefined) options.samples = flags.samples;
    if (flags.noiseLevel !== undefined) options.noiseLevel = flags.noiseLevel;
  } else if (flags.samples !== undefined || flags.noiseLevel !== undefined) {
    throw new RampartError('BAD_OPTION', `--samples and --noise-level belong to --method smoothgrad, not ${flags.method}.`);
  }
  return options;
}

function attackOptionsFrom(flags: ExplainFlags): Record<string, unknown> | undefined {
  if (!flags.attackOptions) return undefined;
  try {
    const parsed = JSON.parse(flags.attackOptions) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new RampartError('BAD_OPTION', `--attack-options must be a JSON object of the attack's options, e.g. '{"steps":20}'; got ${flags.attackOptions}.`, { value: flags.attackOptions });
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('saliency maps (vanilla gradient, Integrated Gradients, SmoothGrad) for clean, adversarial and corrupted inputs; CLEVER scores')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder (needs input gradients)')
    .option('-d, --data <spec>', 'data spec', 'mnist:test')
    .option('--limit <n>', 'explain the first n samples', parseInteger('--limit', 1), 8)
    .addOption(new Option('--method <method>', 'attribution method').choices(explainerRegistry.ids()).default('integrated-gradients'))
    .addOption(new Option('--output <score>', 'the explained score').choices(['logit', 'probability']).default('logit'))
    .addOption(new Option('--explain-class <which>', 'explain the predicted class of each input or its true label').choices(['predicted', 'label']).default('predicted'))
    .option('--steps <n>', 'integrated-gradients: trapezoid steps along the path (default 64)', parseInteger('--steps', 1))
    .option('--baseline <value>', 'integrated-gradients: baseline "min" (lower input bound), "zero" or a number (default min)')
    .option('--samples <n>', 'smoothgrad: noisy copies per input (default 50)', parseInteger('--samples', 1))
    .option('--noise-level <x>', 'smoothgrad: noise σ as a fraction of the input range (default 0.15)', parsePositiveNumber('--noise-level'))
    .option('--attack <id>', 'also explain adversarial versions made by this attack (e.g. pgd), verified by the harness')
    .option('--attack-options <json>', 'further options of the attack as a JSON object (checked by its schema)')
    .addOption(new Option('--norm <norm>', 'threat norm of --attack').choices(['linf', 'l2', 'l1']).default('linf'))
    .option('--eps <x>', 'attack budget ε of --attack', parsePositiveNumber('--eps'))
    .option('--corruption <id>', 'also explain corrupted versions (a corruption id, see rampart corruptions)')
    .option('--severity <n>', 'corruption severity 1-5', parseInteger('--severity', 1), 3)
    .option('--clever', 'add CLEVER scores (Weng et al. 2018) of the clean inputs to the JSON')
    .addOption(new Option('--clever-norm <norm>', 'CLEVER norm').choices(['l2', 'linf', 'l1']).default('l2'))
    .option('--clever-radius <r>', 'CLEVER sampling radius R and score cap (default: l2 2, linf 0.3, l1 10)', parsePositiveNumber('--clever-radius'))
    .option('--clever-batches <n>', 'CLEVER batches N_b (the paper uses 500)', parseInteger('--clever-batches', 3), 50)
    .option('--clever-samples <n>', 'CLEVER points per batch N_s (the paper uses 1024)', parseInteger('--clever-samples', 1), 128)
    .option('--clever-target <t>', 'CLEVER targets: runner-up, all, or a class index', 'runner-up')
    .option('--seed <n>', 'seed for every random choice', parseInteger('--seed', 0), 0)
    .addOption(layoutOption())
    .option('--json', 'print the result JSON to stdout')
    .requiredOption('-o, --out <dir>', 'folder for the PNGs and explain.json')
    .action(async (flags: ExplainFlags, command: Command) => {
      if (flags.attack && flags.eps === undefined) throw new RampartError('BAD_OPTION', '--attack needs --eps (the attack budget), e.g. --attack pgd --eps 0.1.');
      if (!flags.attack && (flags.eps !== undefined || flags.attackOptions)) throw new RampartError('BAD_OPTION', '--eps and --attack-options need --attack (e.g. --attack pgd).');
      if (flags.severity > 5) throw new RampartError('BAD_OPTION', `--severity must be 1-5; got ${flags.severity}.`);
      const cleverTarget = flags.cleverTarget === 'all' || flags.cleverTarget === 'runner-up' ? flags.cleverTarget : Number(flags.cleverTarget);
      if (typeof cleverTarget === 'number' && !(Number.isInteger(cleverTarget) && cleverTarget >= 0)) {
        throw new RampartError('BAD_OPTION', `--clever-target must be runner-up, all or a class index; got "${flags.cleverTarget}".`);
      }
      const methodOptions = methodOptionsFrom(flags);
      const attackOptions = attackOptionsFrom(flags);
      await startBackend(command);
      const resolved = resolveModelSpec(flags.model);
      const dataset = await openDataset(flags.data, { limit: flags.limit });
      const model = await loadModel(flags.model, { layout: flags.layout });
      try {
        checkDataFitsModel(model, dataset);
        const data = await loadAll(dataset);
        const started = performance.now();
        const variants = await buildVariants(model, data.x, data.y, data.sampleShape, {
          attack: flags.attack ? { id: flags.attack, threat: { norm: flags.norm, epsilon: flags.eps!, bounds: [model.bounds[0], model.bounds[1]] }, options: attackOptions } : undefined,
          corruption: flags.corruption ? { id: flags.corruption, severity: flags.severity } : undefined,
          seed: flags.seed,
        });
        const result = await explainVariants(model, variants, data.y, data.sampleShape, {
          method: flags.method,
          methodOptions,
          output: flags.output,
          explainClass: flags.explainClass,
          seed: flags.seed,
        });
        fs.mkdirSync(flags.out, { recursive: true });
        const images: ExplanationImages | undefined = data.sampleShape.length === 3 ? writeExplanationImages(flags.out, result, model.bounds) : undefined;
        const fileOf = (index: number, variant: VariantName) => images?.files.find((f) => f.index === index && f.variant === variant);
        const clever = flags.clever
          ? await cleverScores(model, data.x, data.count, {
              norm: flags.cleverNorm,
              radius: flags.cleverRadius ?? { l2: 2, linf: 0.3, l1: 10 }[flags.cleverNorm],
              batches: flags.cleverBatches,
              samplesPerBatch: flags.cleverSamples,
              target: cleverTarget,
              seed: flags.seed,
            })
          : undefined;
        const seconds = (performance.now() - started) / 1000;
        const summaries = summarizeVariants(result);
        const metrics: ExplainMetrics = {
          method: result.method,
          methodTitle: result.methodTitle,
          paper: result.paper,
          methodOptions: result.methodOptions,
          output: result.output,
          explainClass: result.explainClass,
          imagesDir: path.resolve(flags.out),
          gallery: images?.gallery,
          variants: result.variants.map((v, k) => ({
            name: v.name,
            description: v.description,
            accuracy: v.accuracy,
            meanSimilarityToClean: summaries[k].meanSimilarityToClean,
            meanCompletenessGap: summaries[k].meanCompletenessGap,
            inputs: v.inputs.map(({ saliency: _s, attributions: _a, ...rest }) => ({ ...rest, input: fileOf(rest.index, v.name)?.input, saliency: fileOf(rest.index, v.name)?.saliency })),
          })),
          ...(clever ? { clever } : {}),
        };
        const envelope: ResultEnvelope<ExplainMetrics> = {
          schemaVersion: 1,
          tool: { name: 'rampart', version: toolVersion() },
          command: commandLine(),
          model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
          data: { spec: dataset.spec, count: data.count },
          seed: flags.seed,
          metrics,
          timing: { seconds, samplesPerSecond: data.count / Math.max(seconds, 1e-9) },
        };
        writeResultFile(path.join(flags.out, 'explain.json'), envelope);
        if (flags.json) {
          printJson(envelope);
          return;
        }
        const lines = [
          `model     ${flags.model} (${model.format})`,
          `data      ${dataset.spec} (${data.count} samples)`,
          `method    ${result.methodTitle} (${result.paper}), explaining the ${result.explainClass === 'predicted' ? 'predicted class' : 'true label'}'s ${result.output}`,
          '',
          'variant       description                 accuracy  saliency similarity to clean' + (result.method === 'integrated-gradients' ? '  completeness gap' : ''),
          ...metrics.variants.map(
            (v) =>
              `${v.name.padEnd(13)} ${v.description.padEnd(27)} ${(v.accuracy * 100).toFixed(1).padStart(6)}%  ${(v.meanSimilarityToClean === undefined ? '—' : v.meanSimilarityToClean.toFixed(3)).padStart(8)}` +
              (v.meanCompletenessGap === undefined ? '' : `                     ${(v.meanCompletenessGap * 100).toFixed(2)}%`),
          ),
        ];
        if (clever) {
          lines.push('', `CLEVER (${clever.options.norm}, R = ${clever.options.radius}, ${clever.options.batches}×${clever.options.samplesPerBatch} gradients, target ${clever.options.target}): mean score ${clever.meanScore.toFixed(4)}`);
          lines.push(`  per input: ${clever.samples.map((s) => s.score.toFixed(3)).join(', ')}`);
        }
        lines.push('', `wrote ${images ? `${images.files.length * 2 + 1} PNGs (gallery ${images.gallery}) and ` : ''}explain.json to ${flags.out} in ${seconds.toFixed(1)} s`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        model.dispose();
      }
    });
}
