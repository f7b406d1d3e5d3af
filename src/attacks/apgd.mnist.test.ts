/**
 * APGD on the shipped MNIST CNN: APGD-CE must be at least as strong as plain PGD with the same number of gradient
 * steps (computed inline: sign-gradient ascent of the cross-entropy, α = 2.5ε/steps, random start), and the DLR
 * variants must be in the same range. 100 test digits, ε = 0.1 (the model is not adversarially trained: at 0.2 and
 * above every attack reaches 0%, which would make the comparison vacuous).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { tf, type Tensor, type Tensor1D } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { builtinModelsDir, loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import { isDifferentiable, type DifferentiableModel } from '../engine/model.js';
import { loadAll, openDataset } from '../data/index.js';
import { distances, normOps, projectToThreat } from '../threat/norms.js';
import { threatModel } from '../threat/threat-model.js';
import { apgdCe } from './apgd-ce.js';
import { apgdDlr } from './apgd-dlr.js';
import { apgdT } from './apgd-t.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

const present = fs.existsSync(path.join(builtinModelsDir(), 'mnist-cnn', 'model.json'));
const steps = 30;
const epsilon = 0.1;
const threat = threatModel({ norm: 'linf', epsilon });

describe.skipIf(!present)('APGD on builtin:mnist-cnn', () => {
  let model: DifferentiableModel;
  let x: Tensor;
  let labels: Int32Array;
  let pgdRobust: number;

  const robustAccuracy = async (adv: Tensor): Promise<number> => {
    const logits = await model.logits(adv);
    const predictions = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
    logits.dispose();
    return predictions.filter((p, i) => p === labels[i]).length / labels.length;
  };

  const expectInThreat = (adv: Tensor) => {
    for (const d of distances(adv, x, 'linf')) expect(d).toBeLessThanOrEqual(epsilon + 1e-6);
    const [low, high] = tf.tidy(() => [tf.min(adv).dataSync()[0], tf.max(adv).dataSync()[0]]);
    expect(low).toBeGreaterThanOrEqual(0);
    expect(high).toBeLessThanOrEqual(1);
  };

  beforeAll(async () => {
    await setupBackend();
    const loaded = await loadModel('builtin:mnist-cnn');
    if (!isDifferentiable(loaded)) throw new Error('builtin:mnist-cnn should be white-box');
    model = loaded;
    const data = await loadAll(await openDataset('mnist:test', { limit: 100 }));
    x = tf.tensor(data.x, [data.count, ...data.sampleShape]);
    labels = data.y;
    // Baseline: PGD with the same number of gradient steps.
    const labelsT = tf.tensor1d(labels, 'int32') as Tensor1D;
    let xAdv = tf.tidy(() => projectToThreat(tf.add(x, normOps.linf.randomStart(x.shape, epsilon, createRandom(1))), x, threat));
    for (let s = 0; s < steps; s++) {
      const { gradient, loss, logits } = await model.lossAndGradient(xAdv, labelsT, 'cross-entropy');
      const next = tf.tidy(() => projectToThreat(tf.add(xAdv, tf.mul(tf.sign(gradient), (2.5 * epsilon) / steps)), x, threat));
      tf.dispose([gradient, loss, logits, xAdv]);
      xAdv = next;
    }
    pgdRobust = await robustAccuracy(xAdv);
    tf.dispose([xAdv, labelsT]);
  }, 120_000);

  afterAll(() => {
    x?.dispose();
    model?.dispose();
  });

  it('APGD-CE robust accuracy ≤ PGD with the same steps + 1 point, without leaks', async () => {
    const clean = await robustAccuracy(x);
    await expectNoLeaks(async () => {
      const adv = await apgdCe.run({ x, labels, threat }, { model, random: createRandom(0) }, apgdCe.options.parse({ steps }));
      const robust = await robustAccuracy(adv);
      expectInThreat(adv);
      adv.dispose();
      expect(robust).toBeLessThanOrEqual(pgdRobust + 0.01);
      expect(robust).toBeLessThan(clean - 0.2);
    });
  }, 120_000);

  it('APGD-DLR and APGD-T (3 target classes) are in the same range', async () => {
    const dlr = await apgdDlr.run({ x, labels, threat }, { model, random: createRandom(0) }, apgdDlr.options.parse({ steps }));
    expectInThreat(dlr);
    expect(await robustAccuracy(dlr)).toBeLessThanOrEqual(pgdRobust + 0.05);
    dlr.dispose();
    const targeted = await apgdT.run({ x, labels, threat }, { model, random: createRandom(0) }, apgdT.options.parse({ steps, targetClasses: 3 }));
    expectInThreat(targeted);
    expect(await robustAccuracy(targeted)).toBeLessThanOrEqual(pgdRobust + 0.02);
    targeted.dispose();
  }, 180_000);
});
