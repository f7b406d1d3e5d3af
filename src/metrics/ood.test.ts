import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { detectionMetrics, fitMahalanobis, invertMatrix, logitScores, mahalanobisScores, oodScores, rocCurve, syntheticOod, fitMahalanobisOnData } from './ood.js';
import { scoresOnly } from '../engine/query-model.js';

beforeAll(async () => {
  await setupBackend({});
});

describe('detection metrics', () => {
  it('match hand-computed values for in [0.9, 0.8, 0.4] vs out [0.7, 0.3]', () => {
    const m = detectionMetrics([0.9, 0.8, 0.4], [0.7, 0.3]);
    // Pairs (in > out): 0.9 beats 2, 0.8 beats 2, 0.4 beats 1 → 5/6.
    expect(m.auroc).toBeCloseTo(5 / 6, 12);
    // ROC (fpr, tpr): (0,0) (0,1/3) (0,2/3) (1/2,2/3) (1/2,1) (1,1): TPR 0.95 is reached at FPR 1/2.
    expect(m.fprAt95Tpr).toBeCloseTo(0.5, 12);
    // AP-in: P=1 at R=1/3 and 2/3, P=3/4 at R=1 → 1/3 + 1/3 + 1/4 = 11/12.
    expect(m.auprIn).toBeCloseTo(11 / 12, 12);
    // AP-out (out positive, scores negated): −0.3 first (P=1, R=1/2), then −0.4 (in), −0.7 (P=2/3, R=1) → 5/6.
    expect(m.auprOut).toBeCloseTo(5 / 6, 12);
  });

  it('interpolates FPR95 linearly inside a ROC segment and counts ties half', () => {
    // 20 in scores 1..20, 1 out score 10.5 and one at 0: ROC passes (0, 0.5), then (0.5, 0.5) … (0.5, 1) (1, 1).
    const inScores = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(detectionMetrics(inScores, [10.5, 0]).fprAt95Tpr).toBeCloseTo(0.5, 12);
    // A diagonal segment: in [2, 1], out [1.5, 0.5]… use a tie: in [1, 1], out [1, 1] → AUROC 0.5, ROC (0,0)→(1,1): FPR95 = 0.95.
    const tie = detectionMetrics([1, 1], [1, 1]);
    expect(tie.auroc).toBeCloseTo(0.5, 12);
    expect(tie.fprAt95Tpr).toBeCloseTo(0.95, 12);
    expect(rocCurve([1, 1], [1, 1])).toEqual([{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }]);
    const perfect = detectionMetrics([3, 4], [1, 2]);
    expect(perfect).toMatchObject({ auroc: 1, auprIn: 1, auprOut: 1, fprAt95Tpr: 0 });
  });

  it('rejects empty and non-finite score sets', () => {
    expect(() => detectionMetrics([], [1])).toThrowError(/in- and out-of-distribution/);
    expect(() => detectionMetrics([NaN], [1])).toThrowError(/not finite/);
  });

  it('computes MSP, max-logit and energy by hand', () => {
    const s = logitScores({ values: Float32Array.from([0, Math.log(3)]), rows: 1, cols: 2 });
    expect(s.msp[0]).toBeCloseTo(0.75, 6);
    expect(s.maxLogit[0]).toBeCloseTo(Math.log(3), 6);
    expect(s.energy[0]).toBeCloseTo(Math.log(4), 6);
  });

  it('Mahalanobis: inverse, class means and distances on a tiny 2-D set', () => {
    const inv = invertMatrix(Float64Array.from([4, 2, 2, 3]), 2);
    // [[4,2],[2,3]]⁻¹ = 1/8 [[3,−2],[−2,4]]
    expect(Array.from(inv).map((v) => +v.toFixed(10))).toEqual([0.375, -0.25, -0.25, 0.5]);
    // Class 0 at (±1, 0), class 1 at (10 ± 1, 0): means (0,0), (10,0); covariance diag(1, 0) + ridge.
    const features = Float64Array.from([-1, 0, 1, 0, 9, 0, 11, 0]);
    const fit = fitMahalanobis(features, 2, Int32Array.from([0, 0, 1, 1]), 2);
    const scores = mahalanobisScores(Float64Array.from([0, 0, 2, 0, 5, 0]), fit);
    expect(scores[0]).toBeCloseTo(0, 6);
    expect(scores[1]).toBeCloseTo(-4, 3);
    expect(scores[2]).toBeCloseTo(-25, 3);
  });
});

describe('OOD scores on models', () => {
  it('computes every score on a linear model without leaking tensors (ODIN with gradients, Mahalanobis)', async () => {
    const model = multinomialLinearModel([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], [0, 0, 0], { inputShape: [2, 2, 1] });
    const random = createRandom(1);
    const x = syntheticOod('uniform', 12, [2, 2, 1], random);
    const labels = Int32Array.from({ length: 12 }, (_, i) => i % 3);
    await expectNoLeaks(async () => {
      const mahalanobis = await fitMahalanobisOnData(model, x, labels, [2, 2, 1]);
      const set = await oodScores(model, x, 12, ['msp', 'max-logit', 'energy', 'odin', 'mahalanobis'], [2, 2, 1], { mahalanobis, odin: { temperature: 10, epsilon: 0.01 } });
      expect(set.scores.msp).toHaveLength(12);
      expect(set.scores.odin).toHaveLength(12);
      expect(set.notes.odin).toMatch(/temperature-scaled/);
      // Mahalanobis on a model without hidden layers uses the raw (flattened) input.
      expect(set.scores.mahalanobis).toHaveLength(12);
    });
    model.dispose();
  });

  it('ODIN with a tiny ε equals the MSP of softmax(z / T); preprocessing raises in-distribution confidence', async () => {
    const model = multinomialLinearModel([[1, -1, 0.5, 0], [-0.5, 1, 0, 1]], [0, 0.2], { inputShape: [2, 2, 1] });
    const x = syntheticOod('uniform', 6, [2, 2, 1], createRandom(5));
    await expectNoLeaks(async () => {
      const tiny = await oodScores(model, x, 6, ['odin'], [2, 2, 1], { odin: { temperature: 2, epsilon: 1e-9 } });
      const values = tiny.logits.values;
      for (let i = 0; i < 6; i++) {
        const a = values[2 * i] / 2;
        const b = values[2 * i + 1] / 2;
        expect(tiny.scores.odin![i]).toBeCloseTo(1 / (1 + Math.exp(-Math.abs(a - b))), 5);
      }
      // A step against the gradient of −log softmax_ŷ(z/T) moves the input towards higher confidence.
      const stepped = await oodScores(model, x, 6, ['odin'], [2, 2, 1], { odin: { temperature: 2, epsilon: 0.05 } });
      for (let i = 0; i < 6; i++) expect(stepped.scores.odin![i]).toBeGreaterThan(tiny.scores.odin![i] - 1e-7);
    });
    model.dispose();
  });

  it('ODIN on a black-box model takes its preprocessing from estimated gradients (same direction on a linear model)', async () => {
    const model = multinomialLinearModel([[1, -1, 0.5, 0], [-0.5, 1, 0, 1]], [0, 0.2], { inputShape: [2, 2, 1] });
    const blackBox = scoresOnly(model);
    const x = syntheticOod('uniform', 6, [2, 2, 1], createRandom(5));
    await expectNoLeaks(async () => {
      const white = await oodScores(model, x, 6, ['odin'], [2, 2, 1], { odin: { temperature: 2, epsilon: 0.05 } });
      const black = await oodScores(blackBox, x, 6, ['odin'], [2, 2, 1], { odin: { temperature: 2, epsilon: 0.05 } });
      expect(black.notes.odin).toMatch(/estimated gradient/);
      // the estimated step raises confidence like the true one and lands close to it (20-sample SPSA signs)
      const none = await oodScores(blackBox, x, 6, ['odin'], [2, 2, 1], { odin: { temperature: 2, epsilon: 1e-9 } });
      for (let i = 0; i < 6; i++) {
        expect(black.scores.odin![i]).toBeGreaterThan(none.scores.odin![i]);
        expect(Math.abs(black.scores.odin![i] - white.scores.odin![i])).toBeLessThan(0.03);
      }
    });
    model.dispose();
  });

  it('MNIST vs Fashion-MNIST and vs uniform noise with builtin:mnist-cnn (loose bounds)', async () => {
    const model = await loadModel('builtin:mnist-cnn');
    try {
      const inData = await loadAll(await openDataset('mnist:test', { limit: 150 }));
      const fashion = await loadAll(await openDataset('fashion-mnist:test', { limit: 150 }));
      const noise = syntheticOod('uniform', 150, [28, 28, 1], createRandom(3));
      const fit = await loadAll(await openDataset('mnist:train', { limit: 300 }));
      const names = ['msp', 'energy', 'mahalanobis'] as const;
      const result = await expectNoLeaks(async () => {
        const mahalanobis = await fitMahalanobisOnData(model, fit.x, fit.y, [28, 28, 1]);
        const inScores = await oodScores(model, inData.x, inData.count, names, [28, 28, 1], { mahalanobis });
        const fashionScores = await oodScores(model, fashion.x, fashion.count, names, [28, 28, 1], { mahalanobis });
        const noiseScores = await oodScores(model, noise, 150, names, [28, 28, 1], { mahalanobis });
        return {
          fashion: detectionMetrics(inScores.scores.msp!, fashionScores.scores.msp!),
          noise: detectionMetrics(inScores.scores.msp!, noiseScores.scores.msp!),
          noiseEnergy: detectionMetrics(inScores.scores.energy!, noiseScores.scores.energy!),
          noiseMaha: detectionMetrics(inScores.scores.mahalanobis!, noiseScores.scores.mahalanobis!),
          fashionMaha: detectionMetrics(inScores.scores.mahalanobis!, fashionScores.scores.mahalanobis!),
        };
      });
      console.log(JSON.stringify(result));
      expect(result.fashion.auroc).toBeGreaterThan(0.8);
      // Recorded finding: the CNN is as confident on uniform noise as on digits (MSP AUROC ≈ 0.42 on 150 vs 150);
      // the feature-space Mahalanobis score separates them (≈ 0.95).
      expect(result.noise.auroc).toBeLessThan(0.7);
      expect(result.noiseMaha.auroc).toBeGreaterThan(0.85);
      expect(result.fashionMaha.auroc).toBeGreaterThan(0.8);
    } finally {
      model.dispose();
    }
  }, 60_000);

  it('Mahalanobis on the ONNX export of builtin:mnist-cnn matches the TF.js model (features at the last Gemm/MatMul)', async () => {
    const tfjsModel = await loadModel('builtin:mnist-cnn');
    const onnxModel = await loadModel('models/mnist-cnn/model.onnx');
    try {
      const fit = await loadAll(await openDataset('mnist:train', { limit: 200 }));
      const probe = await loadAll(await openDataset('fashion-mnist:test', { limit: 20 }));
      await expectNoLeaks(async () => {
        const scoresOf = async (model: typeof tfjsModel) => {
          const m = await fitMahalanobisOnData(model, fit.x, fit.y, [28, 28, 1]);
          try {
            const set = await oodScores(model, probe.x, probe.count, ['mahalanobis'], [28, 28, 1], { mahalanobis: m });
            return { scores: Array.from(set.scores.mahalanobis!), note: set.notes.mahalanobis! };
          } finally {
            if ('extractor' in m) m.extractor.dispose();
          }
        };
        const a = await scoresOf(tfjsModel);
        const b = await scoresOf(onnxModel);
        expect(b.note).toMatch(/Gemm|MatMul/);
        for (let i = 0; i < a.scores.length; i++) expect(Math.abs(a.scores[i] - b.scores[i])).toBeLessThan(1e-2 * Math.abs(a.scores[i]) + 1e-2);
      });
    } finally {
      tfjsModel.dispose();
      onnxModel.dispose();
    }
  }, 60_000);
});
