/**
 * The bundled MNIST split: exact sizes, the largest-remainder rounding, no train/test overlap, stratified
 * class balance, interleaved classes, and a pinned order so any change to the published split fails here.
 */
import { describe, expect, it } from 'vitest';
import { loadAll } from './load-all.js';
import { mnistSplitIndices, openMnist, stratifiedTrainCounts } from './mnist.js';
import { openDataset } from './open.js';

const PACKAGE_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

describe('stratifiedTrainCounts', () => {
  it('gives the documented per-digit counts summing to exactly 8,000', () => {
    const counts = stratifiedTrainCounts(PACKAGE_DIGIT_COUNTS);
    expect(counts).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(8000);
  });

  it('hands leftover slots to the largest remainders, ties to the smaller digit', () => {
    // 4k/5 for k = 3, 3, 2: floors 2, 2, 1 (sum 5), remainders 2, 2, 3; target round(6.4) = 6 → digit 2 gets it.
    expect(stratifiedTrainCounts([3, 3, 2])).toEqual([2, 2, 2]);
    // remainders 4, 4: target round(8 * 4 / 5) = 6, floors 3 + 3 → no leftover.
    expect(stratifiedTrainCounts([4, 4])).toEqual([3, 3]);
    // k = 1, 1, 1: floors 0, target round(2.4) = 2 → digits 0 and 1.
    expect(stratifiedTrainCounts([1, 1, 1])).toEqual([1, 1, 0]);
  });
});

describe('mnist specs', () => {
  it('has 8,000 train, 2,000 test and 10,000 all samples of shape [28, 28, 1]', async () => {
    const [train, test, all, byDefault] = await Promise.all([
      openDataset('mnist:train'),
      openDataset('mnist:test'),
      openDataset('mnist:all'),
      openDataset('mnist'),
    ]);
    expect([train.count, test.count, all.count]).toEqual([8000, 2000, 10000]);
    expect(byDefault.spec).toBe('mnist:test');
    expect(test.sampleShape).toEqual([28, 28, 1]);
    expect(test.numClasses).toBe(10);
    expect(test.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('keeps train and test disjoint and together covering all 10,000 digits; all = train then test', async () => {
    const train = (await mnistSplitIndices('train')).indices;
    const test = (await mnistSplitIndices('test')).indices;
    const all = (await mnistSplitIndices('all')).indices;
    const seen = new Set<number>([...train, ...test]);
    expect(seen.size).toBe(10000);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(9999);
    expect(Array.from(all)).toEqual([...train, ...test]);
  });

  it('balances classes in proportion to the package digit counts', async () => {
    const { digitCounts } = await mnistSplitIndices('test');
    expect(digitCounts).toEqual(PACKAGE_DIGIT_COUNTS);
    const { y } = await loadAll(await openMnist('test'));
    const perClass = new Array<number>(10).fill(0);
    for (const label of y) perClass[label]++;
    expect(perClass).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    perClass.forEach((count, digit) => expect(Math.abs(count - digitCounts[digit] / 5)).toBeLessThan(1));
  });

  it('interleaves classes (shuffled) and is the same on every open', async () => {
    const first = await loadAll(await openMnist('test'));
    const again = await loadAll(await openMnist('test'), 333);
    expect(again.y).toEqual(first.y);
    expect(Buffer.compare(Buffer.from(again.x.buffer), Buffer.from(first.x.buffer))).toBe(0);
    const firstHundred = new Set(first.y.subarray(0, 100));
    expect(firstHundred.size).toBe(10);
    let changes = 0;
    for (let i = 1; i < first.y.length; i++) if (first.y[i] !== first.y[i - 1]) changes++;
    expect(changes).toBeGreaterThan(1500); // sorted order would have 9
  });

  it('keeps the published order (pinned first labels of each split)', async () => {
    const firstLabels = async (spec: string): Promise<number[]> =>
      Array.from((await loadAll(await openDataset(spec, { limit: 12 }))).y);
    expect(await firstLabels('mnist:test')).toEqual([0, 9, 7, 2, 7, 1, 9, 5, 1, 2, 0, 1]);
    expect(await firstLabels('mnist:train')).toEqual([9, 7, 4, 9, 6, 0, 2, 9, 3, 9, 5, 3]);
  });

  it('has pixels in [0, 1] with real ink (mean intensity of a digit image is about 0.13)', async () => {
    const { x } = await loadAll(await openDataset('mnist:test', { offset: 1990 }));
    expect(x.length).toBe(10 * 784);
    let sum = 0;
    let outside = 0;
    for (const v of x) {
      if (!(v >= 0 && v <= 1)) outside++;
      sum += v;
    }
    expect(outside).toBe(0);
    expect(sum / x.length).toBeGreaterThan(0.05);
    expect(sum / x.length).toBeLessThan(0.25);
  });
});
