/**
 * The training loop's effects on tiny problems (seconds, not minutes): PGD-AT raises robust accuracy over plain
 * training on data with a robust and many non-robust features; label smoothing caps confidence; a resumed run
 * continues exactly as the uninterrupted one; the ONNX Runtime and tfjs engines give the same weight gradients;
 * certified (IBP) training raises the IBP-verified fraction; no tensors leak.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import type { LoadedData } from '../data/load-all.js';
import { engineAccuracy, engineRobustAccuracy, hardenClassifier, smoothedCrossEntropy } from './loop.js';
import { exportToOnnx } from '../engine/export-onnx.js';
import { createPgdTrainingAttack } from './adversarial/pgd.js';
import { createOrtEngine, exportFineTunedOnnx } from './engines/ort-engine.js';
import { createTfjsEngine } from './engines/tfjs-engine.js';
import { certifiedMarginBounds } from '../certify/training-bounds.js';
import { buildArchitecture, SeededDropout } from './architectures.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

const F = 20;

/** Feature 0 separates the classes by ±0.3 (robust at ε = 0.1); features 1..19 by ±0.06 each (not robust). */
function robustFeatureData(count: number, seed: number): LoadedData {
  const random = createRandom(seed);
  const x = new Float32Array(count * F);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 2;
    const sign = label ? 1 : -1;
    y[n] = label;
    x[n * F] = 0.5 + sign * 0.3 + 0.2 * random.normal();
    for (let f = 1; f < F; f++) x[n * F + f] = 0.5 + sign * 0.06 + 0.05 * random.normal();
  }
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, x[i]));
  return { x, y, count, sampleShape: [F] };
}

/** Every feature separates the classes by ±0.3: a linear model can grow its confidence without bound. */
function separableData(count: number, seed: number): LoadedData {
  const random = createRandom(seed);
  const x = new Float32Array(count * F);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    y[n] = n % 2;
    for (let f = 0; f < F; f++) x[n * F + f] = 0.5 + (y[n] ? 0.3 : -0.3) + 0.05 * random.normal();
  }
  return { x, y, count, sampleShape: [F] };
}

function linearModel(seed: number, hidden = 0): tfl.LayersModel {
  const m = tfl.sequential();
  if (hidden) m.add(tfl.layers.dense({ inputShape: [F], units: hidden, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.dense({ inputShape: hidden ? undefined : [F], units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

const train = robustFeatureData(400, 1);
const validation = robustFeatureData(200, 2);

beforeAll(async () => {
  await setupBackend();
});

describe('hardenClassifier', () => {
  it('PGD adversarial training raises robust accuracy at ε = 0.1 over plain training', async () => {
    const robustOf = async (method: 'none' | 'pgd') => {
      const model = linearModel(3);
      const result = await hardenClassifier({ layersModel: model }, train, validation, {
        epochs: 8,
        batchSize: 50,
        learningRate: 0.05,
        seed: 1,
        adversarial: { method, epsilon: 0.1, steps: 5 },
        evaluation: { robustSamples: 200, steps: 10, epsilon: 0.1 },
        select: 'last',
      });
      const acc = await engineRobustAccuracy(result.engine, createPgdTrainingAttack({ steps: 20 }), validation.x, validation.y, 200, {
        norm: 'linf',
        epsilon: 0.1,
        bounds: [0, 1],
        random: createRandom(9),
      });
      await result.engine.release();
      model.dispose();
      return { acc, clean: result.history[result.history.length - 1].cleanAccuracy };
    };
    const plain = await robustOf('none');
    const adversarial = await robustOf('pgd');
    console.log('PGD-AT tiny problem', JSON.stringify({ plain, adversarial }));
    // measured: plain clean 0.90 / robust 0.60, PGD-AT clean 0.905 / robust 0.79
    expect(plain.clean).toBeGreaterThan(0.85);
    expect(adversarial.clean).toBeGreaterThan(0.85);
    expect(adversarial.acc).toBeGreaterThan(plain.acc + 0.12);
  });

  it('resuming from a checkpoint continues exactly as the uninterrupted run (weights and history)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-resume-'));
    const options = { epochs: 3, batchSize: 64, learningRate: 0.02, seed: 4, adversarial: { method: 'fgsm-rs' as const, epsilon: 0.1 }, augment: [{ id: 'gaussian-noise', options: { sigma: 0.05 } }], evaluation: { robustSamples: 50, steps: 3 }, select: 'last' };
    try {
      const full = linearModel(5);
      const straight = await hardenClassifier({ layersModel: full }, train, validation, options);
      const reference = new Map([...straight.engine.weights].map(([k, v]) => [k, Float32Array.from(v)]));
      await straight.engine.release();

      const partial = linearModel(5);
      const first = await hardenClassifier({ layersModel: partial }, train, validation, options, {}, { checkpointDir: dir, stopAfterEpochs: 1 });
      expect(first.history.length).toBe(1);
      await first.engine.release();
      const resumedModel = linearModel(99); // different initial weights: everything must come from the checkpoint
      const resumed = await hardenClassifier({ layersModel: resumedModel }, train, validation, options, {}, { checkpointDir: dir, resume: true });
      expect(resumed.history.map((h) => h.cleanAccuracy)).toEqual(straight.history.map((h) => h.cleanAccuracy));
      expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
      const resumedWeights = [...resumed.engine.weights.values()];
      [...reference.values()].forEach((w, i) => expect([...resumedWeights[i]]).toEqual([...w]));
      await resumed.engine.release();
      [full, partial, resumedModel].forEach((m) => m.dispose());
      await expect(hardenClassifier({ layersModel: linearModel(1) }, train, validation, { ...options, learningRate: 0.5 }, {}, { checkpointDir: dir, resume: true })).rejects.toThrow(/different options/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('label smoothing caps the mean confidence near 1 − s + s/K; plain training goes past it', async () => {
    const confidence = async (labelSmoothing: number) => {
      const model = linearModel(7);
      const easy = separableData(400, 3);
      const result = await hardenClassifier({ layersModel: model }, easy, separableData(100, 4), { epochs: 40, batchSize: 100, learningRate: 0.2, seed: 1, labelSmoothing, select: 'last', evaluation: { robustSamples: 0 } });
      const p = tf.tidy(() => tf.mean(tf.max(tf.softmax(model.predict(tf.tensor2d(easy.x, [400, F])) as tf.Tensor2D), 1)).dataSync()[0]);
      await result.engine.release();
      model.dispose();
      return p;
    };
    const s = 0.2;
    const cap = 1 - s + s / 2;
    const smoothed = await confidence(s);
    const plain = await confidence(0);
    console.log('mean confidence', { smoothed, plain, cap });
    expect(smoothed).toBeLessThan(cap + 0.01);
    expect(plain).toBeGreaterThan(cap + 0.03);
  });

  it('smoothed cross-entropy equals (1−s)·CE + s·mean(−log p) (hand-computed)', () => {
    const value = tf.tidy(() => smoothedCrossEntropy(tf.tensor2d([[2, 0, 0]]), tf.tensor1d([0], 'int32'), 0.3).dataSync()[0]);
    const logZ = Math.log(Math.exp(2) + 2);
    const expected = 0.7 * (logZ - 2) + 0.3 * ((logZ - 2 + 2 * logZ) / 3);
    expect(value).toBeCloseTo(expected, 5);
  });

  it('mixup trains through weighted rows, and training with it is seeded (two runs agree)', async () => {
    const run = async () => {
      const model = linearModel(2);
      const r = await hardenClassifier({ layersModel: model }, train, validation, { epochs: 8, batchSize: 50, learningRate: 0.05, seed: 3, augment: [{ id: 'mixup' }], select: 'last', evaluation: { robustSamples: 0 } });
      const w = [...r.engine.weights.values()].map((v) => [...v]);
      await r.engine.release();
      model.dispose();
      return { w, acc: r.history[r.history.length - 1].cleanAccuracy };
    };
    const a = await run();
    const b = await run();
    expect(a.w).toEqual(b.w);
    expect(a.acc).toBeGreaterThan(0.9);
  });

  it('a resumed run with seeded dropout draws the masks of the uninterrupted run (call counters in the checkpoint)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-resume-dropout-'));
    const options = { epochs: 3, batchSize: 50, learningRate: 0.01, seed: 6, evaluation: { robustSamples: 0 }, select: 'last' };
    const net = () => buildArchitecture('mlp', [F], 2, 3, { hidden: [12], dropout: 0.4 });
    try {
      const full = net();
      const straight = await hardenClassifier({ layersModel: full }, train, validation, options);
      expect(straight.engine.kind).toBe('tfjs');
      const reference = [...straight.engine.weights.values()].map((w) => Float32Array.from(w));
      await straight.engine.release();
      const partial = net();
      await (await hardenClassifier({ layersModel: partial }, train, validation, options, {}, { checkpointDir: dir, stopAfterEpochs: 1 })).engine.release();
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).dropoutCalls as number[];
      const dropout = partial.layers.find((l) => l instanceof SeededDropout) as SeededDropout;
      expect(saved).toEqual([dropout.callCount]);
      expect(dropout.callCount).toBeGreaterThanOrEqual(Math.ceil(train.count / 50));
      const resumed = await hardenClassifier({ layersModel: net() }, train, validation, options, {}, { checkpointDir: dir, resume: true });
      const weights = [...resumed.engine.weights.values()];
      reference.forEach((w, i) => expect([...weights[i]]).toEqual([...w]));
      await resumed.engine.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('IBP certified training raises the IBP-verified fraction at ε = 0.1, on ONNX Runtime (auto) and on tfjs alike', async () => {
    const verified = async (mode: 'plain' | 'ibp-auto' | 'ibp-tfjs') => {
      const model = linearModel(11, 16);
      const r = await hardenClassifier({ layersModel: model }, train, validation, {
        epochs: 10,
        batchSize: 50,
        learningRate: 0.02,
        seed: 1,
        ...(mode === 'plain' ? { engine: 'tfjs' as const } : { certified: { method: 'ibp' as const, epsilon: 0.1, kappaEnd: 0.5 }, engine: mode === 'ibp-tfjs' ? ('tfjs' as const) : ('auto' as const) }),
        select: 'last',
        evaluation: { robustSamples: 0 },
      });
      const fraction = tf.tidy(() => {
        const m = certifiedMarginBounds(model, tf.tensor2d(validation.x, [200, F]), tf.tensor1d(validation.y, 'int32'), { epsilon: 0.1, method: 'ibp' });
        // verified when every other class's margin lower bound is positive (the true class entry is 0)
        const k = tf.cast(tf.oneHot(tf.tensor1d(validation.y, 'int32'), 2), 'float32');
        const worst = tf.min(tf.add(m, tf.mul(k, 1e9)), 1);
        return tf.mean(tf.cast(tf.greater(worst, 0), 'float32')).dataSync()[0];
      });
      const kind = r.engine.kind;
      if (mode !== 'plain') {
        // The loop's per-epoch IBP-verified accuracy (validation data, evaluation ε = training ε) is this fraction.
        const last = r.history[r.history.length - 1];
        expect(last.verifiedAccuracy).toBeDefined();
        expect(Math.abs(last.verifiedAccuracy! - fraction)).toBeLessThanOrEqual(0.01);
      } else expect(r.history[0].verifiedAccuracy).toBeUndefined();
      await r.engine.release();
      model.dispose();
      return { fraction, kind };
    };
    const plain = await verified('plain');
    const ibpOrt = await verified('ibp-auto');
    const ibpTfjs = await verified('ibp-tfjs');
    console.log('IBP-verified fraction', { plain, ibpOrt, ibpTfjs });
    expect(ibpOrt.kind).toBe('ort');
    expect(ibpTfjs.kind).toBe('tfjs');
    expect(ibpOrt.fraction).toBeGreaterThan(plain.fraction + 0.2);
    expect(ibpTfjs.fraction).toBeGreaterThan(plain.fraction + 0.2);
    // Same objective on both engines (the tfjs bound adds a 1e-5 float32 safety margin): nearly the same model.
    expect(Math.abs(ibpOrt.fraction - ibpTfjs.fraction)).toBeLessThanOrEqual(0.03);
  });

  it('the ONNX Runtime and tfjs engines give the same weight gradients and input gradients', async () => {
    const model = linearModel(21, 8);
    const ort = await createOrtEngine({ layersModel: model });
    const tfjs = createTfjsEngine(model);
    const x = validation.x.subarray(0, 16 * F);
    const y = validation.y.subarray(0, 16);
    const w = new Float32Array(16).fill(1 / 16);
    const a = await ort.weightGradients(x, y, w, 16);
    const b = await tfjs.weightGradients(x, y, w, 16);
    // the names differ (initializer vs variable names) but the order of weights is the layer order
    const ga = [...a.gradients.values()];
    const gb = [...b.gradients.values()];
    expect(ga.length).toBe(gb.length);
    const flat = (m: Float32Array[]) => m.map((g) => [...g].reduce((s, v) => s + Math.abs(v), 0));
    flat(ga).forEach((v, i) => expect(v).toBeCloseTo(flat(gb)[i], 4));
    const ia = await ort.inputGradient(x, y, 16);
    const ib = await tfjs.inputGradient(x, y, 16);
    for (let i = 0; i < ia.gradient.length; i++) expect(ia.gradient[i]).toBeCloseTo(ib.gradient[i], 4);
    await ort.release();
    model.dispose();
  });

  it('fine-tunes an ONNX model on ONNX Runtime and writes the trained initializers back into the file', async () => {
    const model = linearModel(31, 8);
    const bytes = exportToOnnx(model);
    model.dispose();
    const before = await createOrtEngine({ onnxBytes: bytes });
    const startAccuracy = await engineAccuracy(before, validation.x, validation.y, validation.count);
    await before.release();
    const r = await hardenClassifier({ onnxBytes: bytes }, train, validation, { epochs: 6, batchSize: 50, learningRate: 0.05, seed: 1, select: 'last', evaluation: { robustSamples: 0 } });
    expect(r.engine.kind).toBe('ort');
    const trained = exportFineTunedOnnx(bytes, r.engine.weights);
    await r.engine.release();
    const after = await createOrtEngine({ onnxBytes: trained });
    const endAccuracy = await engineAccuracy(after, validation.x, validation.y, validation.count);
    await after.release();
    expect(endAccuracy).toBeCloseTo(r.history[r.history.length - 1].cleanAccuracy, 10);
    expect(endAccuracy).toBeGreaterThan(Math.max(0.85, startAccuracy + 0.1));
    await expect(hardenClassifier({ onnxBytes: bytes }, train, validation, { epochs: 1, labelSmoothing: 0.1 })).rejects.toThrow(/tfjs engine, which trains TF.js models only/);
  });

  it('training on the tfjs engine leaks no tensors', async () => {
    const model = linearModel(5, 4);
    await expectNoLeaks(async () => {
      const r = await hardenClassifier({ layersModel: model }, train, validation, {
        epochs: 1,
        batchSize: 100,
        seed: 1,
        engine: 'tfjs',
        labelSmoothing: 0.1,
        adversarial: { method: 'trades', epsilon: 0.05, steps: 2 },
        evaluation: { robustSamples: 20, steps: 2 },
      });
      await r.engine.release();
    });
    for (const engine of ['auto', 'tfjs'] as const) {
      await expectNoLeaks(async () => {
        const r = await hardenClassifier({ layersModel: model }, train, validation, { epochs: 1, batchSize: 100, seed: 1, engine, certified: { method: 'crown-ibp', epsilon: 0.05 }, evaluation: { robustSamples: 20, steps: 2 } });
        // CROWN-IBP of a dense model runs on ONNX Runtime under auto.
        expect(r.engine.kind).toBe(engine === 'auto' ? 'ort' : 'tfjs');
        await r.engine.release();
      });
    }
    model.dispose();
  });
});
