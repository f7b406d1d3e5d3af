/**
 * The audit's explanations section on a tiny linear model (logits W·x + b on 8×8×1 images), where the answers are
 * known: the vanilla gradient of a class logit is that class's weight row, so the saliency of any input explained
 * as the same class is the same map (similarity 1), and Integrated Gradients is exact (completeness gap ≈ 0). Also:
 * the images (input and one saliency PNG per method and variant, on disk and inlined), no tensor leaks, the
 * forward-only and disabled skips, the schema, and a real CNN run's plausibility.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { setupBackend } from '../../../engine/backend.js';
import { loadModel } from '../../../engine/load.js';
import { openDataset } from '../../../data/index.js';
import { loadAll } from '../../../data/load-all.js';
import { createRandom } from '../../../engine/random.js';
import type { Model } from '../../../engine/model.js';
import { multinomialLinearModel } from '../../../../test/helpers/linear-models.js';
import { expectNoLeaks } from '../../../../test/helpers/leaks.js';
import { sectionUnderTest } from '../../../../test/helpers/audit-section.js';
import { expectSchemaValid, resultsSchema } from '../../../../test/helpers/json-schema.js';
import type { SectionConfigOf } from '../config.js';
import type { ExplanationsMetrics } from '../results.js';
import { runExplanationsSection } from './explanations.js';

beforeAll(async () => {
  await setupBackend();
});

function schemaCheck(metrics: ExplanationsMetrics | null): void {
  const schema = resultsSchema() as { $defs: Record<string, unknown> };
  expectSchemaValid({ $defs: schema.$defs, $ref: '#/$defs/explanationsMetrics' }, metrics);
}

function linearProblem(n: number) {
  const random = createRandom(9);
  const weights = Array.from({ length: 3 }, () => Array.from({ length: 64 }, () => random.normal()));
  const model = multinomialLinearModel(weights, [0, 0.5, -0.5], { inputShape: [8, 8, 1], bounds: [0, 1] });
  const x = Float32Array.from({ length: n * 64 }, () => random.next());
  const y = Int32Array.from({ length: n }, (_, i) => {
    const row = x.subarray(i * 64, (i + 1) * 64);
    const z = weights.map((w, k) => w.reduce((s, v, p) => s + v * row[p], 0) + [0, 0.5, -0.5][k]);
    return z.indexOf(Math.max(...z));
  });
  return { model, weights, data: { x, y, count: n, sampleShape: [8, 8, 1] } };
}

describe('audit section: explanations', () => {
  it('linear model: vanilla saliency is |W[class]|, IG is complete, images are written and inlined', async () => {
    const { model, weights, data } = linearProblem(3);
    const { config, context } = sectionUnderTest<SectionConfigOf<'explanations'>>(
      { type: 'explanations', samples: 3, integratedGradients: { steps: 8 }, smoothgrad: { samples: 4 }, epsilon: 0.3, attack: { id: 'pgd', options: { steps: 10 } }, corruption: { id: 'gaussian-noise', severity: 2 } },
      model,
      data,
    );
    const outcome = await expectNoLeaks(() => runExplanationsSection(config, context));
    expect(outcome.status, outcome.reason).toBe('ok');
    const m = outcome.metrics as ExplanationsMetrics;
    schemaCheck(m);
    expect(m.count).toBe(3);
    expect(m.variants.map((v) => v.name)).toEqual(['clean', 'adversarial', 'corrupted']);
    expect(m.variants[0].accuracy).toBe(1); // labels are the model's own predictions
    expect(m.variants[1].attackSuccessRate).toBeGreaterThanOrEqual(0);
    expect(m.methods.map((x) => x.id)).toEqual(['vanilla', 'integrated-gradients', 'smoothgrad']);
    expect(m.methods[1].options).toMatchObject({ steps: 8, baseline: 'min' });
    for (const v of m.methods[1].variants) expect(v.meanCompletenessGap).toBeLessThan(1e-4);
    let unchanged = 0;
    for (const example of m.examples) {
      const clean = example.variants[0];
      for (const variant of example.variants) {
        const vanilla = variant.saliency.find((s) => s.method === 'vanilla')!;
        // d logit_c / dx = W[c]: the score sums to W[c]·x + b, attributions sum to Σ W[c]
        const c = vanilla.explainedClass;
        expect(vanilla.attributionSum).toBeCloseTo(weights[c].reduce((a, b) => a + b, 0), 4);
        if (variant.name !== 'clean') {
          if (variant.predicted === clean.predicted) {
            expect(vanilla.similarityToClean).toBeCloseTo(1, 5);
            unchanged++;
          }
          expect(variant.saliency.every((s) => s.similarityToClean !== undefined)).toBe(true);
        }
        for (const image of [variant.input!, ...variant.saliency.map((s) => s.image!)]) {
          expect(image).toMatchObject({ width: 8, height: 8 });
          const bytes = fs.readFileSync(path.join(context.outDir, image.file!));
          expect(image.dataUri).toBe(`data:image/png;base64,${bytes.toString('base64')}`);
        }
      }
      expect(example.variants.find((v) => v.name === 'adversarial')?.attackSuccess).toBeTypeOf('boolean');
    }
    expect(unchanged).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(context.outDir, 'gallery'))).toHaveLength(3 * 3 * 4);
    model.dispose();
  });

  it('skips a forward-only model and a disabled section with the reason; tabular data drops the corrupted variant with a warning', async () => {
    const { model, data } = linearProblem(2);
    const forwardOnly = new Proxy(model, { get: (target, key) => (key === 'gradientsAvailable' ? false : Reflect.get(target, key)) }) as Model;
    const blind = sectionUnderTest<SectionConfigOf<'explanations'>>({ type: 'explanations' }, forwardOnly, data);
    expect(await runExplanationsSection(blind.config, blind.context)).toMatchObject({ status: 'skipped', metrics: null, reason: expect.stringMatching(/need input gradients/) });
    const off = sectionUnderTest<SectionConfigOf<'explanations'>>({ type: 'explanations', enabled: false }, model, data);
    expect(await runExplanationsSection(off.config, off.context)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/enabled: false/) });
    model.dispose();
    const rows = multinomialLinearModel([[1, 0, -1], [0, 1, 1]], [0, 0], { bounds: [0, 1] });
    const tabular = { x: Float32Array.of(0.9, 0.1, 0.2, 0.1, 0.8, 0.7), y: Int32Array.of(0, 1), count: 2, sampleShape: [3] };
    const t = sectionUnderTest<SectionConfigOf<'explanations'>>({ type: 'explanations', methods: ['vanilla'], attack: { id: 'fgsm' } }, rows, tabular);
    const outcome = await runExplanationsSection(t.config, t.context);
    expect(outcome.status).toBe('ok');
    expect(outcome.warnings.map((w) => w.code)).toEqual(['variant-skipped']);
    const m = outcome.metrics as ExplanationsMetrics;
    schemaCheck(m);
    expect(m.variants.map((v) => v.name)).toEqual(['clean', 'adversarial']);
    expect(m.examples[0].variants[0]).toMatchObject({ input: null, saliency: [{ method: 'vanilla', image: null }] });
    rows.dispose();
  });

  it('mnist-cnn (2 digits): similarities in (0, 1], a small IG completeness gap, 28×28 images', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    try {
      const data = await loadAll(await openDataset('mnist:test', { limit: 2 }));
      const { config, context } = sectionUnderTest<SectionConfigOf<'explanations'>>({ type: 'explanations', samples: 2, integratedGradients: { steps: 16 }, smoothgrad: { samples: 8 } }, model, data, 'mnist:test');
      const outcome = await runExplanationsSection(config, context);
      const m = outcome.metrics as ExplanationsMetrics;
      schemaCheck(m);
      for (const method of m.methods) {
        for (const v of method.variants.filter((x) => x.name !== 'clean')) {
          expect(v.meanSimilarityToClean).toBeGreaterThan(0);
          expect(v.meanSimilarityToClean).toBeLessThanOrEqual(1 + 1e-6);
        }
      }
      // IG on the ReLU CNN with only 16 trapezoid steps: a few percent of quadrature error at most
      for (const v of m.methods.find((x) => x.id === 'integrated-gradients')!.variants) expect(v.meanCompletenessGap).toBeLessThan(0.05);
      expect(m.examples[0].variants[0].input).toMatchObject({ width: 28, height: 28 });
    } finally {
      model.dispose();
    }
  }, 60_000);
});
