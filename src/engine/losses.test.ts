import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from './tf.js';
import { setupBackend } from './backend.js';
import { crossEntropy, cwMargin, dlr, losses } from './losses.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

const logits = () => tf.tensor2d([
  [2, 1, 0, -1],
  [0.5, 3, 1, 2],
]);
const labels = () => tf.tensor1d([0, 3], 'int32');

describe('losses (hand-computed values)', () => {
  it('cross-entropy = log-sum-exp − z_y', async () => {
    await expectNoLeaks(() => {
      const z = logits();
      const y = labels();
      const loss = crossEntropy(z, y);
      const result = loss.arraySync();
      const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      expect(result[0]).toBeCloseTo(lse([2, 1, 0, -1]) - 2, 5);
      expect(result[1]).toBeCloseTo(lse([0.5, 3, 1, 2]) - 2, 5);
      tf.dispose([z, y, loss]);
    });
  });

  it('cw-margin = max other − true logit', () => {
    const result = cwMargin(logits(), labels()).arraySync();
    expect(result[0]).toBeCloseTo(1 - 2, 6);
    expect(result[1]).toBeCloseTo(3 - 2, 6);
  });

  it('dlr = (max other − true) / (z_π1 − z_π3)', () => {
    const result = dlr(logits(), labels()).arraySync();
    expect(result[0]).toBeCloseTo((1 - 2) / (2 - 0), 5);
    expect(result[1]).toBeCloseTo((3 - 2) / (3 - 1), 5);
  });

  it('dlr is differentiable (topk picked through masks)', () => {
    const z = logits();
    const y = labels();
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(dlr(input as tf.Tensor2D, y)))(z).arraySync() as number[][];
    // row 0: f = (z1 − z0)/(z0 − z2): df/dz1 = 1/2, df/dz0 = (−(z0−z2) − (z1−z0))/(z0−z2)² = (−2 + 1)/4
    expect(gradient[0][1]).toBeCloseTo(0.5, 5);
    expect(gradient[0][0]).toBeCloseTo(-0.25, 5);
    expect(gradient[0][3]).toBeCloseTo(0, 6);
  });

  it('dlr rejects models with fewer than 3 classes', () => {
    expect(() => dlr(tf.tensor2d([[1, 2]]), tf.tensor1d([0], 'int32'))).toThrow(/at least 3 classes/);
  });
});

describe('targeted DLR', () => {
  it('= −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2)', () => {
    const z = tf.tensor2d([[4, 1, 3, 0, -2]]);
    const value = losses['dlr-targeted'](z, tf.tensor1d([0], 'int32'), tf.tensor1d([2], 'int32')).dataSync()[0];
    // sorted: 4, 3, 1, 0 → scale 4 − (1 + 0)/2 = 3.5
    expect(value).toBeCloseTo(-(4 - 3) / 3.5, 5);
  });
  it('needs targets', () => {
    expect(() => losses['dlr-targeted'](tf.zeros([1, 5]) as tf.Tensor2D, tf.tensor1d([0], 'int32'))).toThrow(/target/);
  });
});

describe('cross-entropy precision', () => {
  it('keeps the true-class gradient of a very confident sample (float32 log-softmax loses it)', () => {
    const z = tf.tensor2d([[20, 2.5, 0, -1, 3]]);
    const y = tf.tensor1d([0], 'int32');
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(crossEntropy(input as tf.Tensor2D, y)))(z).dataSync();
    const tail = [2.5, 0, -1, 3].reduce((s, v) => s + Math.exp(v - 20), 0);
    expect(gradient[0]).toBeLessThan(0);
    expect(gradient[0]).toBeCloseTo(-tail / (1 + tail), 12);
    expect(gradient[0] / (-tail / (1 + tail))).toBeCloseTo(1, 4);
    const loss = crossEntropy(z, y).dataSync()[0];
    expect(loss / Math.log1p(tail)).toBeCloseTo(1, 4);
  });

  it('is stable for badly misclassified samples (large positive margins)', () => {
    const loss = crossEntropy(tf.tensor2d([[-50, 60, 0]]), tf.tensor1d([0], 'int32')).dataSync()[0];
    expect(loss).toBeCloseTo(110, 3);
  });
});
