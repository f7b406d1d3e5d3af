/**
 * Transfer attacks: a model transferring to itself reaches exactly its white-box success; mnist-mlp → mnist-cnn
 * reports rates in [0, 1] with consistent counts; mismatched models are rejected; no tensors leak; deterministic.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { setupBackend } from '../engine/backend.js';
import { builtinModelsDir, loadModel } from '../engine/load.js';
import { createRandom } from '../engine/random.js';
import type { Model } from '../engine/model.js';
import { openDataset } from '../data/index.js';
import type { Batch, Dataset } from '../data/dataset.js';
import { isRampartError } from '../errors.js';
import { createVerifier, runAttacks } from './harness.js';
import { runTransferAttack } from './transfer.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { linearProblem, multinomialLinearModel } from '../../test/helpers/linear-models.js';

/** An in-memory dataset over a linear problem. */
function memoryData(x: Float32Array, y: Int32Array, d: number, classes: number): Dataset {
  return {
    spec: 'memory',
    count: y.length,
    sampleShape: [d],
    numClasses: classes,
    async *batches(batchSize: number) {
      for (let start = 0; start < y.length; start += batchSize) {
        const count = Math.min(batchSize, y.length - start);
        const batch: Batch = { x: x.slice(start * d, (start + count) * d), y: y.slice(start, start + count), start, count };
        yield batch;
      }
    },
  };
}

describe('runTransferAttack on linear models', () => {
  const bounds: [number, number] = [-10, 10];
  const a = linearProblem(createRandom(21), 3, 8, 24);
  const b = linearProblem(createRandom(22), 3, 8, 1);
  let surrogate: Model;
  let target: Model;
  let data: Dataset;

  beforeAll(async () => {
    await setupBackend();
    surrogate = multinomialLinearModel(a.weights, a.bias, { bounds, id: 'a' });
    target = multinomialLinearModel(b.weights, b.bias, { bounds, id: 'b' });
    data = memoryData(a.x, a.labels, a.d, 3);
  });
  afterAll(() => {
    surrogate.dispose();
    target.dispose();
  });

  it('a model transferring to itself reaches its white-box success rate', async () => {
    const epsilons = [0.1, 0.5];
    const white = await runAttacks({ model: surrogate, data, attacks: [{ id: 'pgd', options: { steps: 10 } }], norm: 'l2', epsilons, seed: 3 });
    const self = await runTransferAttack({ surrogate, target: surrogate, data, attack: 'pgd', options: { steps: 10 }, norm: 'l2', epsilons, seed: 3 });
    self.results.forEach((r, e) => {
      expect(r.transferSuccessRateAll).toBe(white.attacks[0].results[e].attackSuccessRate);
      expect(r.targetRobustAccuracy).toBe(white.attacks[0].results[e].robustAccuracy);
      expect(r.transferSuccessRate).toBe(r.eligible > 0 ? 1 : null);
    });
    expect(self.results[1].transferred).toBeGreaterThan(0);
  });

  it('is deterministic, leak-free, and gives rates in [0, 1] on another model', async () => {
    const go = () => expectNoLeaks(() => runTransferAttack({ surrogate, target, data, attack: 'fgsm', norm: 'linf', epsilons: [0.3, 1], seed: 1 }));
    const first = await go();
    const second = await go();
    expect({ ...second, seconds: 0 }).toEqual({ ...first, seconds: 0 });
    for (const r of first.results) {
      expect(r.eligible).toBeLessThanOrEqual(first.clean.target.correct);
      for (const v of [r.transferSuccessRate, r.transferSuccessRateAll, r.targetRobustAccuracy]) {
        if (v !== null) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('rejects models that do not read the same data', async () => {
    const other = multinomialLinearModel(linearProblem(createRandom(1), 3, 5, 1).weights, [0, 0, 0], { bounds });
    try {
      const error = await runTransferAttack({ surrogate, target: other, data, attack: 'fgsm', norm: 'linf', epsilons: [0.1] }).catch((e: unknown) => e);
      expect(isRampartError(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/inputs \[8\].*\[5\]/);
    } finally {
      other.dispose();
    }
  });
});

const dir = builtinModelsDir();
const present = ['mnist-mlp', 'mnist-cnn'].every((m) => fs.existsSync(path.join(dir, m, 'model.json')));

describe.skipIf(!present)('transfer mnist-mlp → mnist-cnn', () => {
  it('reports a transfer success rate in [0, 1]', { timeout: 60_000 }, async () => {
    await setupBackend();
    const surrogate = await loadModel('builtin:mnist-mlp');
    const target = await loadModel('builtin:mnist-cnn');
    const targetVerifier = await createVerifier(target, { onnxFile: path.join(dir, 'mnist-cnn', 'model.onnx') });
    try {
      const data = await openDataset('mnist:test', { limit: 40 });
      const report = await runTransferAttack({ surrogate, target, data, attack: 'pgd', options: { steps: 10 }, norm: 'linf', epsilons: [0.1, 0.3], targetVerifier });
      const [small, large] = report.results;
      expect(large.surrogate.attackSuccessRate).toBeGreaterThan(0.9);
      expect(large.eligible).toBeGreaterThan(20);
      for (const r of report.results) {
        expect(r.transferSuccessRate).not.toBeNull();
        expect(r.transferSuccessRate!).toBeGreaterThanOrEqual(0);
        expect(r.transferSuccessRate!).toBeLessThanOrEqual(1);
      }
      // a larger ball transfers at least as well
      expect(large.transferSuccessRateAll!).toBeGreaterThanOrEqual(small.transferSuccessRateAll!);
      expect(report.verifiers.target).toMatch(/ONNX Runtime/);
    } finally {
      targetVerifier.dispose();
      surrogate.dispose();
      target.dispose();
    }
  });
});
