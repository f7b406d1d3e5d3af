import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from '../engine/tf.js';
import { setupBackend } from '../engine/backend.js';
import { createRandom } from '../engine/random.js';
import { isDifferentiable, type DifferentiableModel } from '../engine/model.js';
import { loadModel } from '../engine/load.js';
import { openDataset } from '../data/open.js';
import { loadAll } from '../data/load-all.js';
import { RampartError } from '../errors.js';
import { threatModel, type Norm } from '../threat/threat-model.js';
import { distances } from '../threat/norms.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { multinomialLinearModel } from '../../test/helpers/linear-models.js';
import { bestSaliencyPair, jsma, jsmaOptions } from './jsma.js';

beforeAll(async () => {
  await setupBackend({ backend: 'cpu' });
});

async function runJsma(model: DifferentiableModel, x: tf.Tensor, labels: Int32Array, targets: Int32Array | undefined, options: Record<string, unknown> = {}, seed = 0, norm: Norm = 'l0'): Promise<tf.Tensor> {
  const threat = threatModel({ norm, epsilon: 78, bounds: [model.bounds[0], model.bounds[1]], goal: targets ? { kind: 'targeted', targets: 'given' } : { kind: 'untargeted' } });
  return jsma.run({ x, labels, targets, threat }, { model, random: createRandom(seed) }, jsmaOptions.parse(options));
}

describe('jsma saliency map', () => {
  it('picks the pair with the largest (α_p + α_q)·|β_p + β_q| under the sign conditions', () => {
    const alpha = Float32Array.from([1, 2, -1, 0.5, 3]);
    const beta = Float32Array.from([-1, -2, 3, -0.5, 4]);
    // increase: valid pairs need α sum > 0 and β sum < 0; (0,1): 3·3 = 9 is the best (feature 4 makes β sums > 0
    // except with nothing; (1,3): 2.5·2.5 = 6.25).
    expect(bestSaliencyPair(alpha, beta, Uint8Array.from([1, 1, 1, 1, 1]), true)).toEqual([0, 1]);
    // with feature 1 out of the domain: (0,3): 1.5·1.5 = 2.25
    expect(bestSaliencyPair(alpha, beta, Uint8Array.from([1, 0, 1, 1, 1]), true)).toEqual([0, 3]);
    // decrease: α sum < 0 and β sum > 0: (2,3): α −0.5, β 2.5 → 1.25; (0,2): α 0, invalid; (2,4)... α 2 invalid
    expect(bestSaliencyPair(alpha, beta, Uint8Array.from([1, 1, 1, 1, 1]), false)).toEqual([2, 3]);
    expect(bestSaliencyPair(alpha, beta, Uint8Array.from([0, 0, 1, 0, 1]), true)).toBeNull();
  });

  it('on a linear model: raises the two features that favour the target most and stops at the target', async () => {
    // 3 classes over 6 features in [0, 1]; features 4 and 5 raise class 2 and lower class 0: the only pair with
    // α_p + α_q > 0 and β_p + β_q < 0.
    const weights = [
      [1, 1, 0, 0, -0.5, -0.5],
      [0, 0, 1, 1, 0, 0],
      [0, 0, 0, 0, 2, 1.5],
    ];
    const model = multinomialLinearModel(weights, [1, 0, 0], { bounds: [0, 1] });
    const x = tf.tensor2d([0.2, 0.2, 0.1, 0.1, 0, 0], [1, 6]);
    const adv = await runJsma(model, x, Int32Array.from([0]), Int32Array.from([2]), { gamma: 1 });
    expect(Array.from(adv.dataSync())).toEqual([0.2, 0.2, 0.1, 0.1, 1, 1].map((v) => Math.fround(v)));
    const predicted = tf.tidy(() => tf.argMax(model.logitsSync(adv), 1).dataSync()[0]);
    expect(predicted).toBe(2);
    expect(distances(adv, x, 'l0')[0]).toBe(2);
    tf.dispose([x, adv]);
    model.dispose();
  });

  it('negative θ decreases features', async () => {
    // class 1 wins when features 0 and 1 (which favour class 0 and disfavour class 1) go down
    const weights = [
      [2, 2, 0, 0],
      [-0.5, -0.5, 1, 1],
    ];
    const model = multinomialLinearModel(weights, [0, 0], { bounds: [0, 1] });
    const x = tf.tensor2d([1, 1, 0.9, 0.9], [1, 4]);
    const adv = await runJsma(model, x, Int32Array.from([0]), Int32Array.from([1]), { theta: -1, gamma: 1 });
    expect(Array.from(adv.dataSync())).toEqual([0, 0, 0.9, 0.9].map((v) => Math.fround(v)));
    tf.dispose([x, adv]);
    model.dispose();
  });
});

describe('jsma on MNIST (builtin:mnist-mlp)', () => {
  it('reaches random targets with at most γ·784 changed pixels for most digits; L0 counts the changed pixels', async () => {
    const model = await loadModel('builtin:mnist-mlp');
    if (!isDifferentiable(model)) throw new Error('builtin:mnist-mlp should be white-box');
    const data = await loadAll(await openDataset('mnist:test', { limit: 20 }));
    const x = tf.tensor4d(data.x, [data.count, 28, 28, 1]);
    const random = createRandom(42);
    const targets = Int32Array.from(data.y, (y) => (y + 1 + random.int(9)) % 10);
    const gamma = 0.1;
    const cap = Math.floor(gamma * 784);
    const started = Date.now();
    const adv = await runJsma(model, x, data.y, targets, { gamma });
    const seconds = (Date.now() - started) / 1000;
    const predicted = tf.tidy(() => tf.argMax(model.logitsSync(adv), 1).dataSync());
    const l0 = distances(adv, x, 'l0');
    const advValues = adv.dataSync();
    let reached = 0;
    const successL0: number[] = [];
    for (let i = 0; i < data.count; i++) {
      // L0 as the harness computes it = the number of pixels that differ
      let changed = 0;
      for (let f = 0; f < 784; f++) if (advValues[i * 784 + f] !== data.x[i * 784 + f]) changed++;
      expect(l0[i]).toBe(changed);
      expect(l0[i]).toBeLessThanOrEqual(cap);
      if (predicted[i] === targets[i]) {
        reached++;
        successL0.push(l0[i]);
      }
    }
    for (const v of advValues) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    successL0.sort((a, b) => a - b);
    console.log(
      `jsma on mnist-mlp (θ=1, γ=0.1): reached ${reached}/${data.count} targets, median L0 ${successL0[Math.floor(successL0.length / 2)]} ` +
        `(${((100 * successL0[Math.floor(successL0.length / 2)]) / 784).toFixed(1)}% of pixels), ${seconds.toFixed(1)} s`,
    );
    expect(reached / data.count).toBeGreaterThanOrEqual(0.8);
    tf.dispose([x, adv]);
    model.dispose();
  });
});

describe('jsma: contract', () => {
  const weights = [
    [1, -1, 0.5, 0, 0.2, -0.3, 0.1, 0.4],
    [-0.5, 1, 0, 0.7, -0.2, 0.3, 0.6, -0.1],
    [0.2, 0.1, -0.8, 0.5, 0.9, 0, -0.4, 0.3],
  ];

  it('untargeted goals draw seeded random targets ≠ label: same seed, same output; leaks nothing', async () => {
    const model = multinomialLinearModel(weights, [0, 0, 0], { inputShape: [2, 4, 1], bounds: [0, 1] });
    const r = createRandom(3);
    const x = tf.tensor4d(Float32Array.from({ length: 6 * 8 }, () => r.next() * 0.5), [6, 2, 4, 1]);
    const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
    const run = (seed: number) =>
      expectNoLeaks(async () => {
        const adv = await runJsma(model, x, labels, undefined, { gamma: 1 }, seed);
        const values = Array.from(adv.dataSync());
        const predicted = Array.from(tf.tidy(() => tf.argMax(model.logitsSync(adv), 1).dataSync()));
        adv.dispose();
        return { values, predicted };
      });
    const first = await run(7);
    const second = await run(7);
    expect(second).toEqual(first);
    expect(first.values.some((v, i) => v !== x.dataSync()[i])).toBe(true);
    // the drawn targets are never the label, so no sample is driven to its own label
    expect(first.predicted.filter((p, i) => p !== labels[i]).length).toBeGreaterThan(0);
    x.dispose();
    model.dispose();
  });

  it('rejects other norms and bad options', async () => {
    const model = multinomialLinearModel(weights, [0, 0, 0], { bounds: [0, 1] });
    const x = tf.zeros([1, 8]);
    await expect(runJsma(model, x, Int32Array.from([0]), Int32Array.from([1]), {}, 0, 'l2')).rejects.toBeInstanceOf(RampartError);
    expect(() => jsmaOptions.parse({ theta: 0 })).toThrow();
    expect(() => jsmaOptions.parse({ gamma: 0 })).toThrow();
    x.dispose();
    model.dispose();
  });
});
