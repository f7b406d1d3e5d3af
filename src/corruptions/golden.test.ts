/**
 * Golden previews: every corruption at severities 1..5 on one MNIST digit and on the synthetic 32×32 RGB image,
 * as PNG strips in test/golden/corruptions/ (so a reviewer can look at them), compared with a tolerance
 * (mean |Δ| ≤ 2/255 and ≤ 2% of pixels off by more than 64/255, which absorbs last-bit float differences
 * between platforms). Regenerate with `UPDATE_GOLDEN=1 npx vitest run src/corruptions/golden.test.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../engine/random.js';
import { loadAll } from '../data/load-all.js';
import { openDataset } from '../data/open.js';
import { corruptionRegistry } from './builtin.js';
import type { ImageShape } from './define.js';
import { syntheticRgb } from './image/synthetic.js';
import { previewGrid, readPng } from './preview.js';

const goldenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'golden', 'corruptions');
const update = process.env.UPDATE_GOLDEN === '1';
let digit: Float32Array;
const rgb = syntheticRgb();

beforeAll(async () => {
  digit = (await loadAll(await openDataset('mnist:test', { limit: 1 }))).x;
  if (update) fs.mkdirSync(goldenDir, { recursive: true });
});

function strip(id: string, image: Float32Array, shape: ImageShape): Buffer {
  const c = corruptionRegistry.get(id);
  const images = [image, ...[1, 2, 3, 4, 5].map((s) => c.apply(image, shape, s, createRandom(1234 + s)))];
  return previewGrid(images, shape, 6, 2);
}

function compare(file: string, actual: Buffer): void {
  const target = path.join(goldenDir, file);
  if (update) {
    fs.writeFileSync(target, actual);
    return;
  }
  expect(fs.existsSync(target), `${file} is missing; run with UPDATE_GOLDEN=1`).toBe(true);
  const want = readPng(fs.readFileSync(target));
  const got = readPng(actual);
  expect([got.width, got.height]).toEqual([want.width, want.height]);
  let sum = 0;
  let far = 0;
  for (let i = 0; i < got.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    sum += d;
    if (d > 64) far++;
  }
  expect(sum / got.data.length, `${file}: mean pixel difference`).toBeLessThanOrEqual(2);
  expect(far / got.data.length, `${file}: share of very different pixels`).toBeLessThanOrEqual(0.02);
}

describe('golden previews (clean, then severities 1..5)', () => {
  it.each(corruptionRegistry.ids())('%s', (id) => {
    compare(`${id}.mnist.png`, strip(id, digit, [28, 28, 1]));
    compare(`${id}.rgb.png`, strip(id, rgb, [32, 32, 3]));
  });
});
