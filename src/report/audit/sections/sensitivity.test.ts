/**
 * The audit's sensitivity section on tiny hand-made models: occlusion of a patch a linear model ignores changes
 * nothing (zero drop, zero variance) while a patch it reads gives the hand-computed drop; features mode on tabular
 * data ranks an irrelevant feature last and names features from the CSV header; parameter variability only when
 * configured; disabled and impossible modes are skipped with their reason; results validate against the schema.
 */
import fs from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import { setupBackend } from '../../../engine/backend.js';
import { loadModel } from '../../../engine/load.js';
import { openDataset } from '../../../data/index.js';
import { loadAll } from '../../../data/load-all.js';
import { createRandom } from '../../../engine/random.js';
import { binaryLinearModel } from '../../../../test/helpers/linear-models.js';
import { expectNoLeaks } from '../../../../test/helpers/leaks.js';
import { sectionUnderTest } from '../../../../test/helpers/audit-section.js';
import { expectSchemaValid, resultsSchema } from '../../../../test/helpers/json-schema.js';
import { featureNamesFor } from '../../../validate/index.js';
import type { SectionConfigOf } from '../config.js';
import type { SensitivityMetrics } from '../results.js';
import { runSensitivitySection } from './sensitivity.js';

beforeAll(async () => {
  await setupBackend();
});

/** 4×4×1 images; the model reads only columns 0-1 (logit z = w·x − 1 for class 1, 0 for class 0). */
function leftHalfProblem(n: number) {
  const w = Array.from({ length: 16 }, (_, p) => (p % 4 < 2 ? [1.5, -1, 0.5, 1][Math.floor(p / 4)] : 0));
  const model = binaryLinearModel(w, -1, { inputShape: [4, 4, 1], bounds: [0, 1] });
  const random = createRandom(4);
  const x = Float32Array.from({ length: n * 16 }, () => random.next());
  const logit = (row: ArrayLike<number>) => w.reduce((s, wi, p) => s + wi * row[p], 0) - 1;
  const y = Int32Array.from({ length: n }, (_, i) => (logit(x.subarray(i * 16, (i + 1) * 16)) > 0 ? 1 : 0));
  return { model, w, logit, data: { x, y, count: n, sampleShape: [4, 4, 1] } };
}

function schemaCheck(metrics: SensitivityMetrics | null): void {
  // the section's metrics inside a minimal section object, against the published $defs
  const schema = resultsSchema() as { $defs: Record<string, unknown> };
  expectSchemaValid({ $defs: schema.$defs, $ref: '#/$defs/sensitivityMetrics' }, metrics);
}

describe('audit section: sensitivity', () => {
  it('occlusion: a patch the linear model ignores gives zero drop and variance; a patch it reads gives the hand-computed drop', async () => {
    const { model, logit, data } = leftHalfProblem(40);
    const { config, context } = sectionUnderTest<SectionConfigOf<'sensitivity'>>({ type: 'sensitivity', patch: 2, top: 4 }, model, data);
    const outcome = await expectNoLeaks(() => runSensitivitySection(config, context));
    expect(outcome.status).toBe('ok');
    const m = outcome.metrics as SensitivityMetrics;
    schemaCheck(m);
    expect(m.mode).toBe('occlusion');
    expect(m.settings).toEqual({ patch: 2, stride: 2, fill: 0 });
    expect(m.cleanAccuracy).toBe(1);
    expect(m.units).toBe(4);
    expect(m.heatmap).toMatchObject({ rows: 2, cols: 2 });
    // grid column 1 = image columns 2-3, which the model never reads
    for (const row of [0, 1]) {
      expect(m.heatmap!.accuracyDrop[row][1]).toBe(0);
      expect(m.heatmap!.outputVariance[row][1]).toBe(0);
      expect(m.heatmap!.outputVariance[row][0]).toBeGreaterThan(0);
    }
    // hand-computed: zero the top-left patch (rows 0-1, columns 0-1) and count the flips
    let wrong = 0;
    for (let i = 0; i < data.count; i++) {
      const row = Array.from(data.x.subarray(i * 16, (i + 1) * 16));
      for (const p of [0, 1, 4, 5]) row[p] = 0;
      if ((logit(row) > 0 ? 1 : 0) !== data.y[i]) wrong++;
    }
    expect(wrong).toBeGreaterThan(0);
    expect(m.heatmap!.accuracyDrop[0][0]).toBeCloseTo(wrong / data.count, 9);
    expect(m.maxAccuracyDrop).toBe(m.ranking[0].accuracyDrop);
    expect(m.ranking.slice(2).every((u) => u.accuracyDrop === 0 && u.outputVariance === 0)).toBe(true);
    expect(m.parameters).toBeNull();
    model.dispose();
  });

  it('features mode on tabular data: the irrelevant feature ranks last; CSV headers name the features', async () => {
    const model = binaryLinearModel([4, 0, -1], -1.5, { bounds: [0, 1] });
    const data = { x: Float32Array.of(0.6, 0.5, 0.5, 0.2, 0.9, 0.1, 0.9, 0.1, 0.3), y: Int32Array.of(1, 0, 1), count: 3, sampleShape: [3] };
    const { config, context } = sectionUnderTest<SectionConfigOf<'sensitivity'>>({ type: 'sensitivity', amount: 0.2 }, model, data);
    const outcome = await runSensitivitySection(config, context);
    const m = outcome.metrics as SensitivityMetrics;
    schemaCheck(m);
    expect(m).toMatchObject({ mode: 'features', settings: { amount: 0.2 }, units: 3, heatmap: null });
    expect(m.ranking.map((u) => u.name)).toEqual(['feature 0', 'feature 2', 'feature 1']);
    expect(m.ranking[2].outputVariance).toBe(0);
    // occlusion is impossible on rows: skipped with the reason, no numbers
    const occlusion = sectionUnderTest<SectionConfigOf<'sensitivity'>>({ type: 'sensitivity', mode: 'occlusion' }, model, data);
    const skipped = await runSensitivitySection(occlusion.config, occlusion.context);
    expect(skipped).toMatchObject({ status: 'skipped', metrics: null });
    expect(skipped.reason).toMatch(/occlusion needs image data/);
    const disabled = sectionUnderTest<SectionConfigOf<'sensitivity'>>({ type: 'sensitivity', enabled: false }, model, data);
    expect(await runSensitivitySection(disabled.config, disabled.context)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/enabled: false/) });
    model.dispose();
    const header = fs.readFileSync('examples/tabular/breast-cancer-test.csv', 'utf8').split('\n')[0].split(',');
    expect(featureNamesFor('csv:examples/tabular/breast-cancer-test.csv', 30)?.[0]).toBe(header[0]);
    expect(featureNamesFor('csv:examples/tabular/breast-cancer-test.csv', 29)).toBeUndefined();
    expect(featureNamesFor('mnist:test', 784)).toBeUndefined();
  });

  it('parameter variability runs only when configured: K retrainings on the training data, evaluated on the section samples', async () => {
    const model = await loadModel('examples/tabular/model/model.json');
    try {
      const data = await loadAll(await openDataset('csv:examples/tabular/breast-cancer-test.csv', { limit: 30 }));
      const { config, context } = sectionUnderTest<SectionConfigOf<'sensitivity'>>(
        { type: 'sensitivity', samples: 30, top: 5, parameters: { train: 'csv:examples/tabular/breast-cancer-train.csv', trainLimit: 120, runs: 2, epochs: 2, batchSize: 32 } },
        model,
        data,
        'csv:examples/tabular/breast-cancer-test.csv',
      );
      const outcome = await runSensitivitySection(config, context);
      const m = outcome.metrics as SensitivityMetrics;
      schemaCheck(m);
      expect(m.ranking).toHaveLength(5);
      expect(m.ranking[0].name).toMatch(/^[a-z_]+$/); // named from the CSV header
      const p = m.parameters!;
      expect(p).toMatchObject({ runs: 2, resample: 'bootstrap', trainCount: 120, evaluationCount: 30 });
      expect(p.accuracy.perRun).toHaveLength(2);
      expect(p.accuracy.min).toBeLessThanOrEqual(p.accuracy.max);
      // with two runs, the one pair's flip rate is the fraction of samples they disagree on
      expect(p.meanPairwiseFlipRate).toBeCloseTo(p.unstableFraction, 12);
      expect(p.weights.length).toBeGreaterThan(0);
      expect(outcome.method).toMatch(/parameter variability over 2 retrainings/);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
