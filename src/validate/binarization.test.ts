import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { setupBackend } from '../engine/backend.js';
import { loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import type { Model } from '../engine/model.js';
import { openDataset } from '../data/index.js';
import type { Dataset } from '../data/dataset.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { binarizationTest, sampleBoundaryPoints, sampleInnerPoints } from './binarization.js';
import { fitLogisticRegression } from './logistic.js';

let cnn: Model;
let data: Dataset;

beforeAll(async () => {
  await setupBackend();
  cnn = await loadModel('builtin:mnist-cnn');
  data = await openDataset('mnist:test', { limit: 12 });
});
afterAll(() => cnn?.dispose());

describe('binarization test (Zimmermann et al. 2022)', () => {
  it('passes for PGD-40 on builtin:mnist-cnn at ε = 0.1', async () => {
    const result = await expectNoLeaks(() => binarizationTest({ model: cnn, data, attack: 'pgd', attackOptions: { steps: 40 }, epsilon: 0.1, limit: 10 }));
    expect(result.tested).toBe(10);
    expect(result.setupFailures).toBe(0);
    expect(result.testSuccessRate).toBeGreaterThanOrEqual(0.95);
    expect(result.passed).toBe(true);
    expect(result.featureLayer).toContain('Dense');
    expect(result.misclassified + result.tested + result.setupFailures).toBe(result.considered);
  });

  it('fails for a deliberately weakened attack (1 step, tiny step size, no random start)', async () => {
    const result = await binarizationTest({ model: cnn, data, attack: 'pgd', attackOptions: { steps: 1, stepSize: 1e-4, randomStart: false }, epsilon: 0.1, limit: 10 });
    expect(result.tested).toBe(10);
    expect(result.testSuccessRate).toBeLessThan(0.95);
    expect(result.passed).toBe(false);
  });

  it('runs on an imported ONNX model (features at the input of its last Gemm) with sphere boundary points', async () => {
    const onnx = await loadModel('models/mnist-cnn/model.onnx');
    try {
      const result = await binarizationTest({ model: onnx, data, attack: 'pgd', attackOptions: { steps: 20 }, epsilon: 0.1, limit: 4, boundary: 'sphere' });
      expect(result.featureLayer).toMatch(/Gemm|MatMul/);
      expect(result.tested).toBe(4);
      expect(result.passed).toBe(true);
      // sphere boundary points are rarely adversarial by chance, unlike corners
      expect(result.randomBoundarySuccessRate).toBeLessThan(0.5);
    } finally {
      onnx.dispose();
    }
  });

  it('L2: PGD on builtin:mnist-mlp finds the boundary region on the L2 sphere', async () => {
    const mlp = await loadModel('builtin:mnist-mlp');
    try {
      const result = await binarizationTest({ model: mlp, data, attack: 'pgd', attackOptions: { steps: 20 }, norm: 'l2', epsilon: 1.5, limit: 4 });
      expect(result.threat.norm).toBe('l2');
      expect(result.tested + result.setupFailures).toBe(4);
      expect(result.tested).toBeGreaterThan(0);
      expect(result.passed).toBe(true);
    } finally {
      mlp.dispose();
    }
  });

  it('rejects an unknown attack and bad options with one clear error', async () => {
    await expect(binarizationTest({ model: cnn, data, attack: 'nope', epsilon: 0.1 })).rejects.toThrow(/unknown attack "nope"/);
    await expect(binarizationTest({ model: cnn, data, attack: 'pgd', attackOptions: { steps: 0 }, epsilon: 0.1 })).rejects.toThrow(/invalid options for attack "pgd"/);
    await expect(binarizationTest({ model: cnn, data, attack: 'pgd', epsilon: 0.1, eta: 1.5 })).rejects.toThrow(/eta/);
  });
});

describe('binarization samplers and readout', () => {
  it('inner points lie within η·ε and inside the bounds; L∞ corners sit at ±ε unless clipped', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.float({ min: Math.fround(0.01), max: Math.fround(0.5), noNaN: true }), fc.integer({ min: 0, max: 1000 }), (values, epsilon, seed) => {
        const x = Float32Array.from(values);
        const random = createRandom(seed);
        for (const norm of ['linf', 'l2'] as const) {
          const inner = sampleInnerPoints(x, 5, norm, 0.95 * epsilon, [0, 1], random);
          for (let k = 0; k < 5; k++) {
            let l2 = 0;
            for (let j = 0; j < x.length; j++) {
              const v = inner[k * x.length + j];
              expect(v).toBeGreaterThanOrEqual(0);
              expect(v).toBeLessThanOrEqual(1);
              const d = v - x[j];
              if (norm === 'linf') expect(Math.abs(d)).toBeLessThanOrEqual(0.95 * epsilon + 1e-6);
              l2 += d * d;
            }
            if (norm === 'l2') expect(Math.sqrt(l2)).toBeLessThanOrEqual(0.95 * epsilon + 1e-5);
          }
        }
        const corners = sampleBoundaryPoints(x, 3, 'linf', epsilon, [0, 1], random);
        for (let k = 0; k < 3; k++) {
          for (let j = 0; j < x.length; j++) {
            const v = corners[k * x.length + j];
            const up = Math.min(1, x[j] + epsilon);
            const down = Math.max(0, x[j] - epsilon);
            expect(Math.abs(v - up) < 1e-6 || Math.abs(v - down) < 1e-6).toBe(true);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('logistic regression separates a separable set and reports a non-separable one', () => {
    // 1-D: points 0..4 in class 0 and 10 in class 1 (separable); XOR in 2-D (not separable)
    const fit = fitLogisticRegression([0, 1, 2, 3, 4, 10], [0, 0, 0, 0, 0, 1], 1);
    expect(fit.separated).toBe(true);
    expect(fit.margins[5]).toBeGreaterThan(0);
    expect(Math.max(...Array.from(fit.margins.subarray(0, 5)))).toBeLessThan(0);
    const xor = fitLogisticRegression([0, 0, 1, 1, 0, 1, 1, 0], [0, 0, 1, 1], 2, { maxIterations: 500 });
    expect(xor.separated).toBe(false);
  });
});
