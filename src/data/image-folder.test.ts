/**
 * images: folders, with PNG and JPEG files written here by pngjs and jpeg-js: class order, grayscale vs
 * RGB detection, exact PNG pixel values, ignored files, and the size/decode/layout errors.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAll } from './load-all.js';
import { openDataset } from './open.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-images-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Rgb = [number, number, number];

/** Writes a width×height image whose pixel p has colour `color(p)` (alpha 255). */
function rgba(width: number, height: number, color: (p: number) => Rgb): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = color(p);
    data.set([r, g, b, 255], 4 * p);
  }
  return data;
}
function writePng(path: string, width: number, height: number, color: (p: number) => Rgb): void {
  const png = new PNG({ width, height });
  png.data = rgba(width, height, color);
  writeFileSync(path, PNG.sync.write(png));
}
function writeJpeg(path: string, width: number, height: number, color: (p: number) => Rgb): void {
  writeFileSync(path, jpeg.encode({ data: rgba(width, height, color), width, height }, 100).data);
}
function folder(name: string, classes: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const c of classes) mkdirSync(join(dir, c), { recursive: true });
  return dir;
}

describe('openDataset images:', () => {
  it('reads grayscale PNGs: sorted classes and files, exact values, other files ignored', async () => {
    const dir = folder('gray', ['zebra', 'ant', '.hidden']);
    writePng(join(dir, 'zebra', 'b.png'), 3, 2, (p) => [p * 40, p * 40, p * 40]);
    writePng(join(dir, 'zebra', 'a.PNG'), 3, 2, () => [255, 255, 255]);
    writePng(join(dir, 'ant', 'only.png'), 3, 2, () => [0, 0, 0]);
    writePng(join(dir, '.hidden', 'x.png'), 3, 2, () => [9, 9, 9]);
    writeFileSync(join(dir, 'zebra', 'notes.txt'), 'not an image');
    const ds = await openDataset(`images:${dir}`);
    expect(ds.classNames).toEqual(['ant', 'zebra']);
    expect(ds.sampleShape).toEqual([2, 3, 1]);
    expect(ds.count).toBe(3);
    const all = await loadAll(ds);
    expect(Array.from(all.y)).toEqual([0, 1, 1]);
    const expected = [
      ...new Array<number>(6).fill(0),
      ...new Array<number>(6).fill(1),
      ...[0, 40, 80, 120, 160, 200].map((v) => Math.fround(v / 255)),
    ];
    expect(Array.from(all.x)).toEqual(expected);
  });

  it('is RGB as soon as one image has colour, mixing PNG and JPEG', async () => {
    const dir = folder('rgb', ['gray', 'red']);
    writeJpeg(join(dir, 'gray', 'g.jpg'), 8, 8, () => [128, 128, 128]);
    writePng(join(dir, 'red', 'r.png'), 8, 8, (p) => [200, p, 10]);
    const ds = await openDataset(`images:${dir}`);
    expect(ds.sampleShape).toEqual([8, 8, 3]);
    const { x, y } = await loadAll(ds);
    expect(Array.from(y)).toEqual([0, 1]);
    for (let k = 0; k < 64 * 3; k++) expect(Math.abs(x[k] * 255 - 128)).toBeLessThanOrEqual(2); // lossy JPEG
    const red = x.subarray(64 * 3);
    expect([red[0], red[1], red[2]]).toEqual([200, 0, 10].map((v) => Math.fround(v / 255)));
    expect(red[63 * 3 + 1]).toBe(Math.fround(63 / 255));
  });

  it('rejects images of different sizes, naming both files', async () => {
    const dir = folder('sizes', ['a', 'b']);
    writePng(join(dir, 'a', '1.png'), 4, 4, () => [0, 0, 0]);
    writePng(join(dir, 'b', '2.png'), 5, 4, () => [0, 0, 0]);
    await expect(openDataset(`images:${dir}`)).rejects.toMatchObject({
      code: 'DATA_SHAPE_MISMATCH',
      message: expect.stringMatching(/2\.png is 5×4 but .*1\.png is 4×4.*Resize/),
    });
  });

  it('rejects an undecodable image as DATA_CORRUPT', async () => {
    const dir = folder('corrupt', ['a']);
    writeFileSync(join(dir, 'a', 'broken.png'), 'definitely not a png');
    await expect(openDataset(`images:${dir}`)).rejects.toMatchObject({
      code: 'DATA_CORRUPT',
      message: expect.stringMatching(/broken\.png: cannot decode this PNG/),
    });
  });

  it('rejects folders without class sub-folders or images, files, and missing paths', async () => {
    const flat = folder('flat', []);
    writePng(join(flat, 'loose.png'), 2, 2, () => [0, 0, 0]);
    await expect(openDataset(`images:${flat}`)).rejects.toMatchObject({
      code: 'DATA_SHAPE_MISMATCH',
      message: expect.stringMatching(/no class sub-folders/),
    });
    const empty = folder('empty', ['a', 'b']);
    await expect(openDataset(`images:${empty}`)).rejects.toMatchObject({
      message: expect.stringMatching(/no \.png, \.jpg or \.jpeg files/),
    });
    await expect(openDataset(`images:${join(flat, 'loose.png')}`)).rejects.toMatchObject({ code: 'DATA_SPEC' });
    await expect(openDataset(`images:${join(root, 'absent')}`)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
