import { describe, it, expect } from 'vitest';
import {
  attackSuccessRate,
  cleanAccuracy,
  distribution,
  maskedDistribution,
  medianMinimalPerturbation,
  perturbationSizes,
  predictedProbability,
  quantileSorted,
  robustAccuracy,
  robustnessScore,
} from './robustness.js';

describe('robustness metrics', () => {
  it('accuracy, robust accuracy, attack success rate over initially-correct samples, robustness score', () => {
    const correct = Uint8Array.from([1, 1, 1, 1, 0]);
    const success = Uint8Array.from([1, 0, 1, 0, 1]); // a success on a wrong sample does not count
    expect(cleanAccuracy(correct)).toBe(0.8);
    expect(robustAccuracy(correct, success)).toBe(0.4);
    expect(attackSuccessRate(correct, success)).toBe(0.5);
    expect(attackSuccessRate(new Uint8Array(3), success)).toBeNull();
    expect(robustnessScore(0.8, 0.4)).toBeCloseTo(0.4, 12);
  });

  it('quantiles interpolate linearly (NumPy default)', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 12);
    expect(quantileSorted([], 0.5)).toBeNull();
    expect(distribution([3, 1, 2])).toEqual({ count: 3, mean: 2, median: 2, p90: 2.8 });
    expect(distribution([])).toEqual({ count: 0, mean: null, median: null, p90: null });
    expect(maskedDistribution(Float64Array.from([5, NaN, 1, 9]), Uint8Array.from([1, 1, 1, 0]))).toEqual({ count: 2, mean: 3, median: 3, p90: 4.6 });
  });

  it('perturbation sizes in every norm, hand-computed', () => {
    const clean = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const adv = Float32Array.from([3, -4, 0, 0, 1, 1, 1, 0.5]);
    const sizes = perturbationSizes(adv, clean, 4);
    expect(Array.from(sizes.l0)).toEqual([2, 1]);
    expect(Array.from(sizes.l1)).toEqual([7, 0.5]);
    expect(Array.from(sizes.l2)).toEqual([5, 0.5]);
    expect(Array.from(sizes.linf)).toEqual([4, 0.5]);
  });

  it('median minimal perturbation counts failures as +∞', () => {
    expect(medianMinimalPerturbation([0.1, 0.3, Infinity])).toBe(0.3);
    expect(medianMinimalPerturbation([0.1, Infinity, Infinity])).toBeNull();
  });

  it('confidence: softmax probability of the predicted class', () => {
    const { predicted, probability } = predictedProbability(Float32Array.from([0, 0, Math.log(2), 1000, 1000 + Math.log(3)]), 0, 3);
    expect(predicted).toBe(2);
    expect(probability).toBeCloseTo(0.5, 6);
    const second = predictedProbability(Float64Array.from([0, 0, 1000, 1000 + Math.log(3)]), 1, 2);
    expect(second.predicted).toBe(1);
    expect(second.probability).toBeCloseTo(0.75, 9);
  });
});
