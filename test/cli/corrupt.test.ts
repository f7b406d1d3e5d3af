/** End-to-end runs of `rampart corrupt`: NPZ and PNG-folder output, previews, determinism, bad input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAll, openDataset, readNpzFile } from '../../src/data/index.js';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-corrupt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart corrupt', () => {
  it('writes a corrupted NPZ (x NHWC float32 in [0, 1], y) and a preview, the same bytes for the same seed', async () => {
    const out = path.join(dir, 'fog.npz');
    const args = ['corrupt', '--data', 'mnist:test', '--corruption', 'fog', '--severity', '3', '--out', out, '--limit', '20', '--seed', '7'];
    const run = await runCli([...args, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ corruption: 'fog', severity: 3, table: 'mnist', count: 20, format: 'npz' });
    const arrays = await readNpzFile(out);
    expect(arrays.x.shape).toEqual([20, 28, 28, 1]);
    expect(arrays.x.dtype).toBe('float32');
    const clean = await loadAll(await openDataset('mnist:test', { limit: 20 }));
    expect(Array.from(arrays.y.data as Int32Array)).toEqual(Array.from(clean.y));
    const x = arrays.x.data as Float32Array;
    let change = 0;
    for (let i = 0; i < x.length; i++) {
      expect(x[i] >= 0 && x[i] <= 1).toBe(true);
      change += Math.abs(x[i] - clean.x[i]);
    }
    expect(change / x.length).toBeGreaterThan(0.05);
    expect(fs.existsSync(path.join(dir, 'fog.preview.png'))).toBe(true);
    const first = fs.readFileSync(out);
    expect((await runCli(args)).status).toBe(0);
    expect(fs.readFileSync(out).equals(first)).toBe(true);
  });

  it('writes a PNG folder per class that images:DIR reads back', async () => {
    const out = path.join(dir, 'stripe');
    const run = await runCli(['corrupt', '-d', 'mnist:test', '-c', 'stripe', '-o', out, '--limit', '12', '--preview', '4']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('12 images');
    expect(fs.existsSync(path.join(dir, 'stripe.preview.png'))).toBe(true);
    const back = await loadAll(await openDataset(`images:${out}`));
    expect(back.count).toBe(12);
    expect(back.sampleShape).toEqual([28, 28, 1]);
    // stripe inverts the left quarter: the (black) corner of every digit becomes white
    for (let n = 0; n < 12; n++) expect(back.x[n * 784]).toBeGreaterThan(0.9);
  });

  it('exits 2 with a clear message for an unknown corruption or a bad severity', async () => {
    const unknown = await runCli(['corrupt', '-d', 'mnist:test', '-c', 'rain', '-o', path.join(dir, 'r.npz'), '--limit', '2']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown corruption "rain".*shot-noise/);
    const severity = await runCli(['corrupt', '-d', 'mnist:test', '-c', 'fog', '-s', '9', '-o', path.join(dir, 'r.npz'), '--limit', '2']);
    expect(severity.status).toBe(2);
    expect(severity.stderr).toMatch(/--severity must be 1\.\.5/);
  });
});
