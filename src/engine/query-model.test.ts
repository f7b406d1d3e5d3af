/**
 * queryModel: scores pass through, labels become one-hot with `decisionsOnly`, bad options and bad answers fail
 * with RampartError; Square runs on a query-only model; and examples/attack-http.mjs attacks a model served over
 * HTTP on 127.0.0.1 end to end (child process, built package).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it, expect, beforeAll } from 'vitest';
import { tf } from './tf.js';
import { setupBackend } from './backend.js';
import { queryModel } from './query-model.js';
import { RampartError } from '../errors.js';
import { attackBatch } from '../attacks/harness.js';
import { expectNoLeaks } from '../../test/helpers/leaks.js';
import { repoRoot } from '../../test/helpers/cli.js';

/** A 2×2×1 "image" model: score of class k is the k-th pixel (4 classes). */
const pixelScores = async (batch: Float32Array) => Float32Array.from(batch);

describe('queryModel', () => {
  beforeAll(async () => {
    await setupBackend();
  });

  it('returns scores as given and counts calls', async () => {
    const model = queryModel(pixelScores, { inputShape: [2, 2, 1], numClasses: 4, output: 'scores' });
    const x = tf.tensor(Float32Array.of(0.1, 0.9, 0.2, 0.3, 1, 0, 0, 0), [2, 2, 2, 1]);
    const values = await expectNoLeaks(async () => {
      const logits = await model.logits(x);
      const out = Array.from(await logits.data());
      logits.dispose();
      return out;
    });
    expect(values).toEqual(Array.from(await x.data()));
    expect(model.decisionsOnly).toBe(false);
    expect(model.calls).toEqual({ calls: 1, samples: 2 });
    x.dispose();
  });

  it('label-only output becomes one-hot scores and is flagged decisions-only', async () => {
    const model = queryModel(async (batch) => Int32Array.from({ length: batch.length / 4 }, (_, i) => i % 4), { inputShape: [4], numClasses: 4, output: 'labels' });
    const x = tf.zeros([3, 4]);
    const logits = await model.logits(x);
    expect(Array.from(await logits.data())).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    expect(model.decisionsOnly).toBe(true);
    tf.dispose([x, logits]);
  });

  it('rejects bad options, wrong shapes and bad answers with RampartError', async () => {
    expect(() => queryModel(pixelScores, { inputShape: [0], numClasses: 1, output: 'scores' })).toThrow(/inputShape.*numClasses must be an integer ≥ 2/);
    const bad = queryModel(async () => new Float32Array(3), { inputShape: [4], numClasses: 4, output: 'scores' });
    const x = tf.zeros([1, 4]);
    await expect(bad.logits(x)).rejects.toThrow(RampartError);
    const wrongShape = tf.zeros([1, 5]);
    await expect(bad.logits(wrongShape)).rejects.toThrow(/expects samples of shape \[4\]/);
    const badLabel = queryModel(async () => Int32Array.of(7), { inputShape: [4], numClasses: 4, output: 'labels' });
    await expect(badLabel.logits(x)).rejects.toThrow(/label 7/);
    tf.dispose([x, wrongShape]);
  });

  it('square attacks a query-only model (the harness refuses gradient attacks on it)', async () => {
    const model = queryModel(pixelScores, { inputShape: [2, 2, 1], numClasses: 4, output: 'scores' });
    const x = tf.tensor(Float32Array.of(0.6, 0.5, 0.1, 0.1), [1, 2, 2, 1]);
    const r = await expectNoLeaks(async () => {
      const out = await attackBatch({ model, attack: 'square', options: { queries: 50 }, x, labels: Int32Array.of(0), threat: { norm: 'linf', epsilon: 0.1 }, seed: 1 });
      out.xAdv.dispose();
      return out;
    });
    expect(Array.from(r.success)).toEqual([1]);
    await expect(attackBatch({ model, attack: 'pgd', x, labels: Int32Array.of(0), threat: { norm: 'linf', epsilon: 0.1 } })).rejects.toThrow(/needs input gradients/);
    x.dispose();
  });
});

const built = fs.existsSync(path.join(repoRoot, 'dist', 'index.js')) && fs.existsSync(path.join(repoRoot, 'models', 'mnist-cnn', 'model.onnx'));

describe.skipIf(!built)('examples/attack-http.mjs', () => {
  it('serves builtin:mnist-cnn over HTTP on 127.0.0.1 and breaks the digits with Square through queryModel', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'examples', 'attack-http.mjs'), '--images', '8', '--queries', '300'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { url: string; images: number; successes: number; queries: number; httpCalls: number };
    expect(summary.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/predict$/);
    expect(summary.images).toBe(8);
    expect(summary.successes).toBeGreaterThanOrEqual(7);
    expect(summary.queries).toBeGreaterThan(0);
    expect(summary.httpCalls).toBeGreaterThan(1);
  }, 120_000);
});
