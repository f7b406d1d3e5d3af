/** GraphModel path of the TF.js adapter, on a hand-built graph (scripts/make-graph-model-fixture.py). */
import fs from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from './tf.js';
import { setupBackend } from './backend.js';
import { loadModel } from './load.js';
import { isDifferentiable } from './model.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';

const folder = 'test/fixtures/tfjs-graph';
const expected = JSON.parse(fs.readFileSync(`${folder}/expected.json`, 'utf8')) as {
  x: number[][];
  logits: number[][];
  W1: number[][];
  b1: number[];
  W2: number[][];
};

beforeAll(async () => {
  await setupBackend({ backend: 'wasm' });
});

describe('TF.js GraphModel adapter', () => {
  it('loads, gives the logits NumPy computed, and is differentiable', async () => {
    const model = await loadModel(folder);
    expect(model.format).toBe('tfjs-graph');
    expect(model.inputShape).toEqual([6]);
    expect(model.numClasses).toBe(3);
    expect(isDifferentiable(model)).toBe(true);
    const x = tf.tensor2d(expected.x);
    const logits = await model.logits(x);
    const values = logits.arraySync();
    values.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected.logits[i][j], 4)));
    tf.dispose([x, logits]);
    model.dispose();
  });

  it('input gradient of the summed logit 0 equals the analytic W1·diag(1−tanh²)·W2[:,0]', async () => {
    const model = await loadModel(folder);
    if (!isDifferentiable(model)) throw new Error('GraphModel should be differentiable');
    await expectNoLeaks(async () => {
      const x = tf.tensor2d(expected.x);
      // cw-margin with label 0: max_{j≠0} z_j − z_0; check against an analytic gradient of the same function
      const labels = tf.tensor1d([0, 0, 0, 0], 'int32');
      const { gradient, logits, loss } = await model.lossAndGradient(x, labels, 'cw-margin');
      const g = gradient.arraySync() as number[][];
      const z = logits.arraySync();
      expected.x.forEach((row, n) => {
        const hidden = expected.b1.map((b, k) => Math.tanh(row.reduce((s, v, i) => s + v * expected.W1[i][k], b)));
        const other = z[n][1] > z[n][2] ? 1 : 2;
        for (let i = 0; i < 6; i++) {
          let analytic = 0;
          for (let k = 0; k < 5; k++) {
            analytic += expected.W1[i][k] * (1 - hidden[k] ** 2) * (expected.W2[k][other] - expected.W2[k][0]);
          }
          expect(g[n][i]).toBeCloseTo(analytic, 4);
        }
      });
      tf.dispose([x, labels, gradient, logits, loss]);
    });
    model.dispose();
  });
});
