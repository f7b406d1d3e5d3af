/**
 * Audit section `explanations`: saliency maps of the same inputs clean, adversarial and corrupted, with each of
 * the configured attribution methods — vanilla gradients (Simonyan et al. 2014, https://arxiv.org/abs/1312.6034),
 * Integrated Gradients (Sundararajan et al. 2017, https://arxiv.org/abs/1703.01365) and SmoothGrad (Smilkov et al.
 * 2017, https://arxiv.org/abs/1706.03825) — through `buildVariants` / `explainVariants` of src/validate/explain, as
 * `rampart explain` does. The adversarial versions come from the attack harness (re-verified), the corrupted ones
 * from the corruption registry. Per method and variant the section reports the mean cosine similarity of the
 * saliency maps to the clean ones (how far the explanation moved) and, for Integrated Gradients, the completeness
 * gap; the images (each input and its saliency map per method, as PNGs under `gallery/` and inlined) are what the
 * report's saliency gallery shows. Needs input gradients; a forward-only model is skipped with the reason.
 *
 * @example
 * # suite.yaml
 * - type: explanations
 *   samples: 4
 *   methods: [vanilla, integrated-gradients, smoothgrad]
 *   attack: {id: pgd, options: {steps: 20}}
 *   epsilon: 0.1
 *   corruption: {id: fog, severity: 3}
 */
import { isDifferentiable } from '../../../engine/model.js';
import { buildVariants, explainVariants, saliencyImage, summarizeVariants, type ExplanationResult } from '../../../validate/explain/index.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, skipped, type AuditContext, type SectionOutcome } from '../context.js';
import { galleryPng } from '../gallery.js';
import type { AuditWarning, ExplanationExample, ExplanationMethodSummary, ExplanationSaliency, ExplanationsMetrics, GalleryImage } from '../results.js';

const METHOD = 'saliency maps (vanilla gradient, Integrated Gradients, SmoothGrad) of clean, adversarial and corrupted inputs';

/** The options each method gets from the section config. */
/** One saliency cell of the gallery: a method's explanation of one input version, with its image. */
export function saliencyEntry(
  method: string,
  row: { explainedClass: number; score: number; attributionSum: number; completenessGap?: number; similarityToClean?: number },
  image: GalleryImage | null,
): ExplanationSaliency {
  return {
    method,
    image,
    explainedClass: row.explainedClass,
    score: row.score,
    attributionSum: row.attributionSum,
    ...(row.completenessGap !== undefined ? { completenessGap: row.completenessGap } : {}),
    ...(row.similarityToClean !== undefined ? { similarityToClean: row.similarityToClean } : {}),
  };
}

function methodOptions(config: SectionConfigOf<'explanations'>, method: string): Record<string, unknown> {
  if (method === 'integrated-gradients') return { ...config.integratedGradients };
  if (method === 'smoothgrad') return { ...config.smoothgrad };
  return {};
}

export async function runExplanationsSection(config: SectionConfigOf<'explanations'>, context: AuditContext): Promise<SectionOutcome> {
  const data = firstSamples(context.data, context.samples);
  const model = context.model;
  const shape = data.sampleShape;
  const image = shape.length === 3;
  const warnings: AuditWarning[] = [];
  let variantNames = config.variants;
  if (!image && variantNames.includes('corrupted')) {
    variantNames = variantNames.filter((v) => v !== 'corrupted');
    warnings.push({ code: 'variant-skipped', message: `the corrupted variant needs image data [H, W, C]; the data has samples [${shape.join(', ')}], so only ${variantNames.join(' and ')} are explained` });
  }
  const parameters: Record<string, unknown> = {
    samples: data.count,
    methods: Object.fromEntries(config.methods.map((m) => [m, methodOptions(config, m)])),
    output: config.output,
    explainClass: config.explainClass,
    variants: variantNames,
    ...(variantNames.includes('adversarial') ? { attack: config.attack, norm: config.norm, epsilon: config.epsilon } : {}),
    ...(variantNames.includes('corrupted') ? { corruption: config.corruption } : {}),
    seed: context.seed,
  };
  if (!config.enabled) return skipped(METHOD, parameters, 'disabled in the suite config (enabled: false)');
  if (!isDifferentiable(model)) return skipped(METHOD, parameters, `saliency maps need input gradients and ${model.id} is a forward-only (black-box) model`);

  context.progress(0, config.methods.length + 1, 'variants');
  const variants = await buildVariants(model, data.x, data.y, shape, {
    attack: variantNames.includes('adversarial') ? { id: config.attack.id, options: config.attack.options, threat: { norm: config.norm, epsilon: config.epsilon, bounds: [model.bounds[0], model.bounds[1]] } } : undefined,
    corruption: variantNames.includes('corrupted') ? { id: config.corruption.id, severity: config.corruption.severity } : undefined,
    seed: context.seed,
  });
  const results: ExplanationResult[] = [];
  for (const [k, method] of config.methods.entries()) {
    context.progress(k + 1, config.methods.length + 1, method);
    results.push(await explainVariants(model, variants, data.y, shape, { method, methodOptions: methodOptions(config, method), output: config.output, explainClass: config.explainClass, seed: context.seed }));
  }
  const metrics = explanationsMetrics(results, data.y, shape, model.bounds, context.outDir, config.id);
  return {
    status: 'ok',
    method: `${results.map((r) => r.methodTitle).join(', ')} of the ${variants.map((v) => v.description).join(' / ')} inputs; cosine similarity of the saliency maps to the clean ones`,
    parameters,
    samples: data.count,
    metrics,
    warnings,
  };
}

/**
 * The section's metrics from one `explainVariants` result per method (same variants and inputs): summaries, and
 * per input each version's image with its saliency map per method (PNGs under `<outDir>/gallery/`, outDir null:
 * inline only). Non-image data gets no images.
 */
export function explanationsMetrics(
  results: readonly ExplanationResult[],
  labels: Int32Array,
  sampleShape: readonly number[],
  bounds: readonly [number, number],
  outDir: string | null,
  sectionId: string,
): ExplanationsMetrics {
  const first = results[0];
  const image = sampleShape.length === 3;
  const [h, w, c] = image ? (sampleShape as [number, number, number]) : [0, 0, 0];
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const range = bounds[1] - bounds[0] || 1;
  const inputImage = (x: Float32Array, i: number, variant: string): GalleryImage | null => {
    if (!image) return null;
    const pixels = Float32Array.from(x.subarray(i * size, (i + 1) * size), (v) => Math.min(1, Math.max(0, (v - bounds[0]) / range)));
    return galleryPng(pixels, [h, w, c], outDir, `${sectionId}-${i}-${variant}-input.png`);
  };
  const methods: ExplanationMethodSummary[] = results.map((r) => ({
    id: r.method,
    title: r.methodTitle,
    paper: r.paper,
    options: { ...(r.methodOptions as Record<string, unknown>) },
    variants: summarizeVariants(r).map((v) => ({
      name: v.name,
      ...(v.meanSimilarityToClean !== undefined ? { meanSimilarityToClean: v.meanSimilarityToClean } : {}),
      ...(v.meanCompletenessGap !== undefined ? { meanCompletenessGap: v.meanCompletenessGap } : {}),
    })),
  }));
  const count = first?.variants[0]?.inputs.length ?? 0;
  const examples: ExplanationExample[] = [];
  for (let i = 0; i < count; i++) {
    examples.push({
      sampleIndex: i,
      trueLabel: labels[i],
      variants: first.variants.map((variant, v) => {
        const explained = variant.inputs[i];
        return {
          name: variant.name,
          predicted: explained.predicted,
          ...(explained.attackSuccess !== undefined ? { attackSuccess: explained.attackSuccess } : {}),
          input: inputImage(variant.x, i, variant.name),
          saliency: results.map((r) => {
            const row = r.variants[v].inputs[i];
            return saliencyEntry(r.method, row, image ? galleryPng(saliencyImage(row.saliency, h, w), [h, w, 3], outDir, `${sectionId}-${i}-${variant.name}-${r.method}.png`) : null);
          }),
        };
      }),
    });
  }
  return {
    output: first?.output ?? 'logit',
    explainClass: first?.explainClass ?? 'predicted',
    count,
    variants: first ? summarizeVariants(first).map((v) => ({ name: v.name, description: v.description, accuracy: v.accuracy, ...(v.attackSuccessRate !== undefined ? { attackSuccessRate: v.attackSuccessRate } : {}) })) : [],
    methods,
    examples,
  };
}
