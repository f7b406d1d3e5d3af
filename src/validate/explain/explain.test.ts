import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { tf } from '../../engine/tf.js';
import { setupBackend } from '../../engine/backend.js';
import { loadModel } from '../../engine/load.js';
import { createRandom } from '../../engine/random.js';
import type { DifferentiableModel } from '../../engine/model.js';
import { openDataset } from '../../data/open.js';
import { loadAll } from '../../data/load-all.js';
import { expectNoLeaks } from '../../../test/helpers/leaks.js';
import { multinomialLinearModel } from '../../../test/helpers/linear-models.js';
import { explainerRegistry } from './builtin.js';
import { parseExplainerOptions } from './define.js';
import { buildVariants, explainVariants, writeExplanationImages } from './gallery.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-explain-'));
beforeAll(async () => {
  await setupBackend();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const W = [
  [0.5, -1, 2, 0.25, 0, 1],
  [-0.5, 0.3, 0.1, 1, -2, 0.5],
  [1, 1, -1, 0, 0.5, -0.25],
];
const B = [0.1, -0.2, 0.3];

function attribute(method: string, model: DifferentiableModel, x: tf.Tensor, classes: number[], options: unknown = {}, output: 'logit' | 'probability' = 'logit') {
  const definition = explainerRegistry.get(method);
  return tf.tidy(() => {
    const { attributions, expectedSum } = definition.attribute({ model, x, classes: Int32Array.from(classes), output, random: createRandom(1) }, parseExplainerOptions(definition, options));
    return { attributions: attributions.arraySync() as number[][], expectedSum };
  });
}

describe('attribution methods on a linear model (closed forms)', () => {
  const linear = () => multinomialLinearModel(W, B, { bounds: [0, 1] });
  const xs = [
    [0.2, 0.9, 0.4, 0.1, 0.7, 0.3],
    [0.8, 0.1, 0.5, 0.6, 0.2, 0.9],
  ];

  it('vanilla gradient = w_c; SmoothGrad = w_c (the gradient is constant); no leaks', async () => {
    const model = linear();
    const x = tf.tensor2d(xs);
    const vanilla = await expectNoLeaks(() => attribute('vanilla', model, x, [0, 2]));
    vanilla.attributions.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(W[[0, 2][i]][k], 5)));
    const smooth = await expectNoLeaks(() => attribute('smoothgrad', model, x, [1, 1], { samples: 8 }));
    smooth.attributions.forEach((row) => row.forEach((v, k) => expect(v).toBeCloseTo(W[1][k], 5)));
    x.dispose();
  });

  it('Integrated Gradients = (x − x′) ⊙ w_c exactly, completeness holds with one step', async () => {
    const model = linear();
    const x = tf.tensor2d(xs);
    const ig = await expectNoLeaks(() => attribute('integrated-gradients', model, x, [2, 0], { steps: 1, baseline: 0.5 }));
    ig.attributions.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo((xs[i][k] - 0.5) * W[[2, 0][i]][k], 5)));
    ig.attributions.forEach((row, i) => expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(ig.expectedSum![i], 5));
    x.dispose();
  });
});

describe('Integrated Gradients completeness on the reference CNN', () => {
  it('Σ attributions = S(x) − S(black) within 1% for the true class logit, 3 digits (128 steps)', async () => {
    const model = (await loadModel('builtin:mnist-cnn', { gradients: 'tfjs' })) as DifferentiableModel;
    const data = await loadAll(await openDataset('mnist:test', { limit: 3 }));
    const x = tf.tensor(data.x, [3, 28, 28, 1]);
    for (const output of ['logit'] as const) {
      const ig = await expectNoLeaks(() => attribute('integrated-gradients', model, x, [...data.y], { steps: 128 }, output));
      ig.attributions.forEach((image, i) => {
        const sum = (image as unknown as number[][][]).flat(2).reduce((s, v) => s + v, 0);
        expect(Math.abs(sum - ig.expectedSum![i]) / Math.abs(ig.expectedSum![i]), `${output} digit ${i}: Σ ${sum} vs ${ig.expectedSum![i]}`).toBeLessThan(0.01);
      });
    }
    x.dispose();
    model.dispose();
  });
});

describe('explanation gallery', () => {
  it('clean vs PGD vs fog: verified attack outcome, completeness per input, PNG files of the right size', async () => {
    const model = await loadModel('builtin:mnist-cnn', { gradients: 'tfjs' });
    const data = await loadAll(await openDataset('mnist:test', { limit: 3 }));
    const variants = await buildVariants(model, data.x, data.y, data.sampleShape, {
      attack: { id: 'pgd', threat: { norm: 'linf', epsilon: 0.2 }, options: { steps: 20 } },
      corruption: { id: 'fog', severity: 4 },
      seed: 1,
    });
    expect(variants.map((v) => v.name)).toEqual(['clean', 'adversarial', 'corrupted']);
    const result = await expectNoLeaks(() => explainVariants(model, variants, data.y, data.sampleShape, { method: 'integrated-gradients', methodOptions: { steps: 16 } }));
    const [clean, adversarial, corrupted] = result.variants;
    expect(clean.accuracy).toBe(clean.inputs.filter((r) => r.predicted === r.label).length / 3);
    adversarial.inputs.forEach((r) => expect(r.attackSuccess).toBe(r.predicted !== r.label));
    expect(adversarial.inputs.some((r) => r.attackSuccess)).toBe(true);
    for (const v of [adversarial, corrupted]) for (const r of v.inputs) expect(r.similarityToClean).toBeGreaterThan(-1e-6);
    for (const r of clean.inputs) {
      expect(r.explainedClass).toBe(r.predicted);
      expect(r.completenessGap).toBeLessThan(0.1);
    }
    const images = writeExplanationImages(path.join(dir, 'gallery'), result);
    expect(images.files).toHaveLength(9);
    const gallery = PNG.sync.read(fs.readFileSync(path.join(dir, 'gallery', images.gallery)));
    expect(gallery.width).toBe(6 * (28 * 4 + 1) + 1);
    expect(gallery.height).toBe(3 * (28 * 4 + 1) + 1);
    const one = PNG.sync.read(fs.readFileSync(path.join(dir, 'gallery', images.files[0].saliency)));
    expect([one.width, one.height]).toEqual([28 * 4 + 2, 28 * 4 + 2]);
    model.dispose();
  });

  it('rejects black-box models and unknown methods, naming the fix', async () => {
    const model = multinomialLinearModel(W, B);
    await expect(explainVariants(model, [{ name: 'clean', description: 'clean', x: new Float32Array(6) }], Int32Array.from([0]), [6], { method: 'lime' })).rejects.toThrow(/Available: vanilla, integrated-gradients, smoothgrad/);
    const blackBox = { ...model, id: 'bb', format: model.format, inputShape: model.inputShape, numClasses: 3, bounds: model.bounds, logits: (x: tf.Tensor) => model.logits(x), dispose: () => undefined };
    await expect(explainVariants(blackBox, [{ name: 'clean', description: 'clean', x: new Float32Array(6) }], Int32Array.from([0]), [6], {})).rejects.toThrow(/need input gradients/);
  });
});
