import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { calibrationFromProbabilities, calibrationMetrics, calibrationReport, collectLogits, fitTemperature, nllAtTemperature, type LogitMatrix } from './calibration.js';
import { createRandom } from '../engine/random.js';
import { multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

describe('calibration metrics', () => {
  it('matches hand-computed ECE, MCE, Brier and NLL on a 4-sample binary set', () => {
    // Rows: p = (0.9, 0.1) y=0 ✓; (0.6, 0.4) y=1 ✗; (0.2, 0.8) y=1 ✓; (0.45, 0.55) y=1 ✓ (conf 0.55).
    const p = Float64Array.from([0.9, 0.1, 0.6, 0.4, 0.2, 0.8, 0.45, 0.55]);
    const y = Int32Array.from([0, 1, 1, 1]);
    const m = calibrationFromProbabilities(p, y, 2, 15);
    // Bins of width 1/15: 0.9 → bin 13 (0.8667, 0.9333]; 0.6 → bin 8 (0.5333, 0.6]; 0.8 → bin 11 (0.7333, 0.8];
    // 0.55 → bin 8. Bin 8: conf (0.6+0.55)/2 = 0.575, acc 0.5, gap 0.075; bin 11: gap 0.2; bin 13: gap 0.1.
    // ECE = (2·0.075 + 0.2 + 0.1)/4 = 0.1125; MCE = 0.2.
    expect(m.ece).toBeCloseTo(0.1125, 10);
    expect(m.mce).toBeCloseTo(0.2, 10);
    expect(m.accuracy).toBe(0.75);
    // Brier: (0.01+0.01) + (0.36+0.36) + (0.04+0.04) + (0.2025+0.2025) = 1.225; /4 = 0.30625.
    expect(m.brier).toBeCloseTo(0.30625, 10);
    expect(m.nll).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.8) + Math.log(0.55)) / 4, 10);
    expect(m.reliability).toHaveLength(15);
    expect(m.reliability[8]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(m.reliability[8].confidence).toBeCloseTo(0.575, 10);
  });

  it('a perfectly confident, always-right model has ECE 0 and Brier ~0', () => {
    const logits: LogitMatrix = { values: Float32Array.from([50, 0, 0, 50]), rows: 2, cols: 2 };
    const m = calibrationMetrics(logits, Int32Array.from([0, 1]));
    expect(m.ece).toBeLessThan(1e-12);
    expect(m.brier).toBeLessThan(1e-12);
  });

  it('temperature scaling recovers a known temperature on synthetic logits', () => {
    // Draw labels from softmax(z / 2.5): the NLL-optimal temperature of z is then 2.5 (up to sampling noise).
    const random = createRandom(7);
    const n = 4000;
    const k = 5;
    const values = new Float32Array(n * k);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) values[i * k + c] = 4 * random.normal();
      const p = Array.from({ length: k }, (_, c) => Math.exp(values[i * k + c] / 2.5));
      const total = p.reduce((a, b) => a + b, 0);
      let u = random.next() * total;
      let c = 0;
      while (c < k - 1 && u >= p[c]) u -= p[c++];
      labels[i] = c;
    }
    const logits = { values, rows: n, cols: k };
    const t = fitTemperature(logits, labels);
    expect(t).toBeGreaterThan(2.3);
    expect(t).toBeLessThan(2.7);
    expect(nllAtTemperature(logits, labels, t)).toBeLessThan(nllAtTemperature(logits, labels, 1));
    const report = calibrationReport(logits, labels);
    expect(report.calibrated.ece).toBeLessThan(report.uncalibrated.ece);
    expect(report.split.fit).toBe(2000);
  });

  it('rejects labels out of range and too little data', () => {
    const logits: LogitMatrix = { values: Float32Array.from([1, 0]), rows: 1, cols: 2 };
    expect(() => calibrationMetrics(logits, Int32Array.from([3]))).toThrowError(/outside the model's 2 classes/);
    expect(() => calibrationReport(logits, Int32Array.from([0]))).toThrowError(/at least 2 samples/);
  });

  it('collects logits in batches without leaking tensors', async () => {
    const model = multinomialLinearModel([[1, 0], [0, 1]], [0, 0.5]);
    const logits = await expectNoLeaks(() => collectLogits(model, Float32Array.from([1, 2, 3, 4, 5, 6]), 3, [2], 2));
    expect(Array.from(logits.values)).toEqual([1, 2.5, 3, 4.5, 5, 6.5]);
    model.dispose();
  });
});
