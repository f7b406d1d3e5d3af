import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { builtinModelsDir, loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import { openDataset } from '../data/open.js';
import { loadAll } from '../data/load-all.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { binaryLinearModel } from '../../test/helpers/linear-models.js';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { certifySmoothing, certifyOne, predictOne, sampleNoiseCounts } from './smoothing.js';
import { modelNoiseClassifier, ortNoiseClassifier, smoothingClassifierFor } from './smoothing-classifier.js';
import { clopperPearsonLower } from './statistics.js';
import { encodeOnnxModel, loadOnnxModel } from '../engine/onnx/index.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

// A binary linear classifier f(x) = [w·x + b > 0] in d = 8 dims; wide bounds so nothing clips.
const w = [0.6, -0.8, 0.3, 0.5, -0.2, 0.1, 0.4, -0.3];
const wNorm = Math.sqrt(w.reduce((s, v) => s + v * v, 0));
const b = 0.05;
/** A point at signed distance `distance` from the hyperplane w·x + b = 0 (positive side = class 1). */
function pointAt(distance: number): Float32Array {
  const base = w.map((v) => (-b * v) / (wNorm * wNorm)); // on the hyperplane
  return Float32Array.from(base.map((v, i) => v + (distance * w[i]) / wNorm));
}

describe('randomized smoothing on a binary linear model (closed form)', () => {
  // Closed form: P(f(x + δ) = 1) = Φ(dist/σ), so with exact pA the radius σΦ⁻¹(pA) is exactly the distance to the
  // hyperplane. With finite n, p̲A < pA, so the certified radius must stay below that distance (w.p. ≥ 1 − α) and,
  // for large n, close to it. The counts themselves must be Binomial(n, Φ(dist/σ)): that checks the noise scale.
  const sigma = 0.5;
  const n = 100_000;
  const alpha = 0.001;

  it('nA ~ Binomial(n, Φ(d/σ)); radius = σΦ⁻¹(p̲A) ≤ d and within the 5-sd band of the closed form', async () => {
    const model = binaryLinearModel(w, b, { bounds: [-10, 10] });
    const classifier = modelNoiseClassifier(model);
    for (const [k, distance] of [0.1, 0.4, 0.8, 1.2].entries()) {
      const x = pointAt(distance);
      const pA = normalCdf(distance / sigma, 0, 1);
      const outcome = await certifyOne(classifier, x, { sigma, n, n0: 100, alpha, batchSize: 20_000 }, createRandom(100 + k));
      expect(outcome.prediction).toBe(1);
      const sd = Math.sqrt(n * pA * (1 - pA));
      expect(Math.abs(outcome.nA - n * pA)).toBeLessThan(5 * sd);
      expect(outcome.pALower).toBeCloseTo(clopperPearsonLower(outcome.nA, n, alpha), 12);
      expect(outcome.radius).toBeLessThan(distance);
      // The radius a count 5 sd below its mean would give: the certificate must be at least this tight.
      const pessimistic = sigma * normalQuantile(clopperPearsonLower(Math.floor(n * pA - 5 * sd), n, alpha), 0, 1);
      expect(outcome.radius).toBeGreaterThan(pessimistic);
      // With n = 100,000 that band is narrow: the certificate gives away little of the true distance.
      expect(distance - pessimistic).toBeLessThan(0.15 * sigma);
    }
    model.dispose();
  });

  it('abstains on the decision boundary (pA = ½): CERTIFY radius 0, PREDICT abstains', async () => {
    const model = binaryLinearModel(w, b, { bounds: [-10, 10] });
    const classifier = modelNoiseClassifier(model);
    const x = pointAt(0);
    const certified = await certifyOne(classifier, x, { sigma, n: 4000, n0: 100, alpha }, createRandom(3));
    expect(certified.prediction).toBe(-1);
    expect(certified.radius).toBe(0);
    expect(certified.pALower).toBeLessThanOrEqual(0.5);
    const predicted = await predictOne(classifier, x, { sigma, n: 4000, alpha }, createRandom(4));
    expect(predicted.prediction).toBe(-1);
    expect(predicted.pValue).toBeGreaterThan(alpha);
    // Far from the boundary PREDICT answers, with a tiny p-value.
    const far = await predictOne(classifier, pointAt(-1), { sigma, n: 1000, alpha }, createRandom(5));
    expect(far.prediction).toBe(0);
    expect(far.pValue).toBeLessThan(1e-10);
    model.dispose();
  });

  it('report: certified accuracy at radii, abstention, curve; deterministic per seed; no tensor leaks', async () => {
    const model = binaryLinearModel(w, b, { bounds: [-10, 10] });
    const classifier = modelNoiseClassifier(model);
    const distances = [1.0, 0.5, 0, -0.6];
    const x = new Float32Array(distances.length * w.length);
    distances.forEach((d, i) => x.set(pointAt(d), i * w.length));
    const labels = Int32Array.from([1, 1, 1, 1]);
    const options = { sigma, n: 2000, n0: 50, alpha, batchSize: 700, radii: [0, 0.25, 0.5] };
    const report = await expectNoLeaks(() => certifySmoothing(classifier, x, labels, 4, options));
    expect(report.samples.map((s) => s.prediction)).toEqual([1, 1, -1, 0]);
    expect(report.abstentionRate).toBe(0.25);
    expect(report.certifiedAccuracy[0]).toEqual({ radius: 0, accuracy: 0.5 });
    const r0 = report.samples[0].radius;
    const r1 = report.samples[1].radius;
    expect(r0).toBeGreaterThan(0.5);
    expect(r1).toBeGreaterThan(0.25);
    expect(report.certifiedAccuracy[1].accuracy).toBe(0.5);
    expect(report.certifiedAccuracy[2].accuracy).toBe(r1 >= 0.5 ? 0.5 : 0.25);
    expect(report.curve[0].accuracy).toBe(0.5);
    expect(report.curve.at(-1)!.radius).toBeCloseTo(report.maxCertifiableRadius, 12);
    for (let i = 1; i < report.curve.length; i++) expect(report.curve[i].accuracy).toBeLessThanOrEqual(report.curve[i - 1].accuracy);
    expect(report.forwardPasses).toBe(4 * 2050);
    const again = await certifySmoothing(classifier, x, labels, 4, options);
    expect(again.samples.map((s) => [s.nA, s.radius])).toEqual(report.samples.map((s) => [s.nA, s.radius]));
    const other = await certifySmoothing(classifier, x, labels, 4, { ...options, seed: 1 });
    expect(other.samples.map((s) => s.nA)).not.toEqual(report.samples.map((s) => s.nA));
    model.dispose();
  });

  it('batch size does not change the draws (same counts for batch 1 and 1000 on the same seed)', async () => {
    const model = binaryLinearModel(w, b, { bounds: [-10, 10] });
    const classifier = modelNoiseClassifier(model);
    const x = pointAt(0.3);
    const one = await sampleNoiseCounts(classifier, x, 300, sigma, 1, createRandom(9));
    const many = await sampleNoiseCounts(classifier, x, 300, sigma, 1000, createRandom(9));
    expect([...one]).toEqual([...many]);
    model.dispose();
  });
});

describe('ONNX Runtime fast path', () => {
  it('agrees with the TF.js model on noisy MNIST digits, label for label', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    const onnx = path.join(builtinModelsDir(), 'mnist-cnn', 'model.onnx');
    const choice = await smoothingClassifierFor(model, { onnx });
    expect(choice.classifier.engine).toBe('onnxruntime');
    expect(choice.fallbackReason).toBeUndefined();
    const data = await loadAll(await openDataset('mnist:test', { limit: 2 }));
    const size = 784;
    for (let i = 0; i < 2; i++) {
      const sample = data.x.subarray(i * size, (i + 1) * size);
      const fast = await sampleNoiseCounts(choice.classifier, choice.classifier.toClassifierLayout(sample), 200, 0.25, 100, createRandom(i));
      const slow = await sampleNoiseCounts(modelNoiseClassifier(model), sample, 200, 0.25, 100, createRandom(i));
      expect([...fast]).toEqual([...slow]);
    }
    choice.classifier.dispose();
    model.dispose();
  });

  it('falls back to the model path, with the reason, when the ONNX file computes another function', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    const choice = await smoothingClassifierFor(model, { onnx: path.join(builtinModelsDir(), 'mnist-mlp', 'model.onnx') });
    expect(choice.classifier.engine).toBe('tfjs-layers');
    expect(choice.fallbackReason).toMatch(/disagrees/);
    model.dispose();
    const standalone = await ortNoiseClassifier(path.join(builtinModelsDir(), 'mnist-mlp', 'model.onnx'));
    expect(standalone.inputShape).toEqual([28, 28, 1]);
    standalone.dispose();
  });

  it('transposes NHWC samples for an NCHW model with 3 channels (logits equal to the ONNX adapter\'s)', async () => {
    const random = createRandom(21);
    const weights = Array.from({ length: 60 * 4 }, () => random.normal());
    const bytes = encodeOnnxModel({
      inputs: [{ name: 'x', dims: ['N', 3, 4, 5] }],
      outputs: [{ name: 'y', dims: ['N', 4] }],
      initializers: [{ name: 'w', dims: [60, 4], data: weights }],
      nodes: [
        { opType: 'Flatten', inputs: ['x'], outputs: ['f'], attributes: { axis: 1 } },
        { opType: 'MatMul', inputs: ['f', 'w'], outputs: ['y'] },
      ],
    });
    const model = await loadOnnxModel(bytes, { id: 'nchw-3' });
    expect(model.layout).toBe('nchw');
    expect(model.inputShape).toEqual([4, 5, 3]);
    const choice = await smoothingClassifierFor(model, { onnx: bytes });
    expect(choice.fallbackReason).toBeUndefined();
    const sample = Float32Array.from({ length: 60 }, () => random.next());
    const fast = await choice.classifier.logits(choice.classifier.toClassifierLayout(sample), 1);
    const slow = await modelNoiseClassifier(model).logits(sample, 1);
    fast.forEach((v, i) => expect(v).toBeCloseTo(slow[i], 4));
    // The NHWC sample itself is not what the ONNX file expects: without the transpose the logits differ.
    const raw = await choice.classifier.logits(Float32Array.from(sample), 1);
    expect(raw.some((v, i) => Math.abs(v - slow[i]) > 1e-3)).toBe(true);
    choice.classifier.dispose();
    model.dispose();
  });
});
