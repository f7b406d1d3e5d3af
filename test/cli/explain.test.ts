/** End-to-end runs of `rampart explain` on two MNIST digits: PNGs, the JSON result, CLEVER, bad input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-explain-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart explain', () => {
  it('writes saliency PNGs for clean, FGSM and corrupted digits, explain.json with completeness gaps and CLEVER scores', async () => {
    const out = path.join(dir, 'ig');
    const run = await runCli([
      'explain', '--model', 'builtin:mnist-cnn', '--data', 'mnist:test', '--limit', '2', '--method', 'integrated-gradients', '--steps', '32',
      '--attack', 'fgsm', '--eps', '0.25', '--corruption', 'stripe', '--clever', '--clever-batches', '5', '--clever-samples', '16', '--out', out, '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'explain.json'), 'utf8'))).toEqual(result);
    const m = result.metrics;
    expect(m.method).toBe('integrated-gradients');
    expect(m.methodOptions).toMatchObject({ steps: 32, baseline: 'min' });
    expect(m.variants.map((v: { name: string }) => v.name)).toEqual(['clean', 'adversarial', 'corrupted']);
    expect(m.variants[1].description).toBe('fgsm linf ε=0.25');
    for (const v of m.variants) {
      expect(v.inputs).toHaveLength(2);
      for (const r of v.inputs) {
        expect(r.completenessGap).toBeLessThan(0.1);
        const png = PNG.sync.read(fs.readFileSync(path.join(out, r.saliency)));
        expect([png.width, png.height]).toEqual([28 * 4 + 2, 28 * 4 + 2]);
        expect(fs.existsSync(path.join(out, r.input))).toBe(true);
      }
    }
    expect(fs.existsSync(path.join(out, m.gallery))).toBe(true);
    expect(m.clever.samples).toHaveLength(2);
    for (const s of m.clever.samples) {
      expect(s.score).toBeGreaterThan(0);
      expect(s.score).toBeLessThanOrEqual(2);
      expect(s.targets[0].lipschitz).toBeGreaterThanOrEqual(s.targets[0].maxSampled);
    }
  });

  it('prints a table for SmoothGrad; bad flag combinations exit 2 with one line naming the fix', async () => {
    const run = await runCli(['explain', '-m', 'builtin:mnist-cnn', '--limit', '1', '--method', 'smoothgrad', '--samples', '4', '-o', path.join(dir, 'sg')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SmoothGrad/);
    expect(run.stdout).toMatch(/clean\s+clean/);
    expect(fs.existsSync(path.join(dir, 'sg', 'smoothgrad-gallery.png'))).toBe(true);
    const noEps = await runCli(['explain', '-m', 'builtin:mnist-cnn', '--attack', 'pgd', '-o', path.join(dir, 'x')]);
    expect(noEps.status).toBe(2);
    expect(noEps.stderr.trim().split('\n')).toHaveLength(1);
    expect(noEps.stderr).toMatch(/--attack needs --eps/);
    const wrongFlag = await runCli(['explain', '-m', 'builtin:mnist-cnn', '--method', 'vanilla', '--steps', '5', '-o', path.join(dir, 'x')]);
    expect(wrongFlag.status).toBe(2);
    expect(wrongFlag.stderr).toMatch(/--steps and --baseline belong to --method integrated-gradients/);
  });
});
