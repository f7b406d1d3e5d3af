/**
 * Fashion-MNIST from the real Debian IDX files: official sizes, order and class balance, streaming without
 * a full float copy, and the missing-directory error. Skipped (with a message) only when the files are absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR_ENV, fashionMnistDir, openFashionMnist } from './fashion-mnist.js';
import { loadAll } from './load-all.js';
import { openDataset } from './open.js';

const dataDir = fashionMnistDir();
const present = existsSync(join(dataDir, 't10k-images-idx3-ubyte.gz'));
if (!present) {
  console.warn(`fashion-mnist tests skipped: no files in ${dataDir} (apt-get install dataset-fashion-mnist)`);
}

describe.skipIf(!present)('fashion-mnist (real files)', () => {
  it('test split: 10,000 images, first label 9 "Ankle boot", 1,000 per class', async () => {
    const ds = await openDataset('fashion-mnist');
    expect(ds.spec).toBe('fashion-mnist:test');
    expect(ds.count).toBe(10000);
    expect(ds.sampleShape).toEqual([28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    expect(ds.classNames?.[9]).toBe('Ankle boot');
    expect(ds.classNames?.[0]).toBe('T-shirt/top');
    const { y, x } = await loadAll(ds);
    expect(Array.from(y.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    const perClass = new Array<number>(10).fill(0);
    for (const label of y) perClass[label]++;
    expect(perClass).toEqual(new Array<number>(10).fill(1000));
    let max = 0;
    for (const v of x) if (v > max) max = v;
    expect(max).toBe(1); // uint8 255 → exactly 1
  });

  it('train split streams 60,000 images in official order without a second full float copy', async () => {
    const beforeOpen = process.memoryUsage().arrayBuffers;
    const ds = await openFashionMnist('train');
    expect(ds.count).toBe(60000);
    const before = process.memoryUsage().arrayBuffers;
    // Open keeps the decoded uint8 images (47 MB) and the gzip bytes until GC (30 MB), not 188 MB of floats.
    expect(before - beforeOpen).toBeLessThan(60000 * 784 * 4 * 0.6);
    const perClass = new Array<number>(10).fill(0);
    let firstLabels: number[] = [];
    let batches = 0;
    let peak = 0;
    for await (const batch of ds.batches(1000)) {
      if (batch.start === 0) firstLabels = Array.from(batch.y.subarray(0, 10));
      for (const label of batch.y) perClass[label]++;
      batches++;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(firstLabels).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(perClass).toEqual(new Array<number>(10).fill(6000));
    expect(batches).toBe(60);
    expect(peak).toBeLessThan(60000 * 784 * 4 * 0.5); // a full float copy would be 188 MB
  });

  it('offset and limit pick the same samples as a full pass', async () => {
    const full = await loadAll(await openFashionMnist('test', { limit: 50 }));
    const window = await loadAll(await openFashionMnist('test', { offset: 20, limit: 7 }), 3);
    expect(Array.from(window.y)).toEqual(Array.from(full.y.subarray(20, 27)));
    expect(window.x).toEqual(full.x.subarray(20 * 784, 27 * 784));
  });
});

describe('fashion-mnist directory override', () => {
  const saved = process.env[FASHION_MNIST_DIR_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[FASHION_MNIST_DIR_ENV];
    else process.env[FASHION_MNIST_DIR_ENV] = saved;
  });

  it('reports a missing directory with the apt-get and env-var fixes', async () => {
    process.env[FASHION_MNIST_DIR_ENV] = '/nonexistent/fashion';
    await expect(openDataset('fashion-mnist:train')).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringMatching(/apt-get install dataset-fashion-mnist.*RAMPART_FASHION_MNIST_DIR/s),
    });
  });

  it('reports a directory without the files the same way', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rampart-fmnist-'));
    try {
      process.env[FASHION_MNIST_DIR_ENV] = empty;
      await expect(openDataset('fashion-mnist')).rejects.toMatchObject({
        code: 'FILE_NOT_FOUND',
        message: expect.stringMatching(/t10k-images-idx3-ubyte\.gz.*apt-get install dataset-fashion-mnist/s),
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
