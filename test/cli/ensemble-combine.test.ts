/**
 * `rampart ensemble` end to end, part 2 (part 1: ensemble.test.ts): boosting and stacking folders, combining
 * existing models with soft and hard voting, bad inputs (exit 2, one line), and a fresh `--model mlp` on a small
 * CSV through `rampart harden`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-ensemble-cli2-'));
});

const tiny = ['--model', 'mlp', '--data', 'mnist:train', '--limit', '300', '--val-split', '50', '--epochs', '2', '--batch-size', '32', '--lr', '0.01', '--test-limit', '200', '-q'];

function expectCleanFailure(run: CliRun, pattern: RegExp): void {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr.trim().split('\n').length).toBe(1);
}

describe('rampart ensemble', () => {
  it('boosting (SAMME, hard vote) and stacking (meta-learner) write folders that load and their single-graph model.onnx', async () => {
    const boost = path.join(dir, 'boost');
    const b = await runCli(['ensemble', '--method', 'boosting', '--members-count', '2', ...tiny, '--seed', '1', '--out', boost, '--json']);
    expect(b.status, b.stderr).toBe(0);
    const bm = JSON.parse(b.stdout).metrics;
    expect(bm.voting).toBe('hard');
    expect(bm.boosting.alphas.length).toBe(bm.members.length);
    expect(bm.onnx.maxAbsLogitDifference).toBeLessThan(1e-4);
    expect(fs.existsSync(path.join(boost, 'model.onnx'))).toBe(true);
    const stack = path.join(dir, 'stack');
    const s = await runCli(['ensemble', '--method', 'stacking', '--members-count', '2', '--folds', '2', ...tiny, '--epochs', '1', '--seed', '1', '--out', stack]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/ensemble \(stacking\)\s+clean \d+\.\d+% on mnist:test \(200\)/);
    expect(s.stdout).toMatch(/disagreement\s+mean 0\.\d+/);
    const manifest = JSON.parse(fs.readFileSync(path.join(stack, 'ensemble.json'), 'utf8'));
    expect(manifest.meta.weights).toHaveLength(2 * 10 * 10);
    expect(manifest.onnx).toBe('model.onnx');
    const e = await runCli(['eval', '--model', stack, '--data', 'mnist', '--limit', '50']);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/members\s+0:\d+\.\d% 1:\d+\.\d%/);
  });

  it('combines existing models (weights, soft and hard voting); bad members fail in one line', async () => {
    const soft = path.join(dir, 'combined');
    const c = await runCli(['ensemble', '--members', 'builtin:mnist-cnn,builtin:mnist-mlp', '--weights', '3,1', '--out', soft, '--data', 'mnist', '--limit', '100', '--json']);
    expect(c.status, c.stderr).toBe(0);
    const m = JSON.parse(c.stdout).metrics;
    expect(m.weights).toEqual([0.75, 0.25]);
    expect(m.figures.accuracy).toBeGreaterThan(0.9);
    expect(m.onnx.maxAbsLogitDifference).toBeLessThan(1e-4);
    const hard = await runCli(['ensemble', '--members', `builtin:mnist-cnn,${path.join(soft, 'member-1')}`, '--voting', 'hard', '--out', path.join(dir, 'hard')]);
    expect(hard.status, hard.stderr).toBe(0);
    expect(hard.stdout).toMatch(/single-graph ONNX .*hard.model\.onnx \(max \|Δlogit\| vs the ensemble/);

    const csv = path.join(dir, 'tab.csv');
    fs.writeFileSync(csv, ['a,b,c,label', ...Array.from({ length: 60 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5},${(i % 3) / 3},${i % 2}`)].join('\n') + '\n');
    const tab = path.join(dir, 'tab');
    const h = await runCli(['harden', '--model', 'mlp', '--data', `csv:${csv}`, '--val-split', '10', '--epochs', '1', '--batch-size', '16', '--out', tab, '-q']);
    expect(h.status, h.stderr).toBe(0);
    const layers = JSON.parse(fs.readFileSync(path.join(tab, 'model.json'), 'utf8')).modelTopology.config.layers;
    expect(layers[0].class_name).toBe('Dense');
    expect(layers[0].config.batch_input_shape).toEqual([null, 3]);

    expectCleanFailure(await runCli(['ensemble', '--members', `builtin:mnist-cnn,${tab}`, '--out', path.join(dir, 'bad')]), /member 1 \(.*tab\) takes samples of shape \[3\] but member 0 \(builtin:mnist-cnn\) takes \[28, 28, 1\]/);
    expectCleanFailure(await runCli(['ensemble', '--members', 'builtin:mnist-cnn,builtin:mnist-mlp', '--weights', '1', '--out', path.join(dir, 'bad')]), /--weights has 1 values for 2 --members/);
    expectCleanFailure(await runCli(['ensemble', '--members', `${path.join(soft, 'member-0')},builtin:mnist-mlp`, '--out', soft]), /member 0\) lies inside --out .*give another --out folder/);
    expectCleanFailure(await runCli(['ensemble', '--members', 'builtin:mnist-cnn', '--method', 'bagging', '--out', path.join(dir, 'bad')]), /either --members .* or --method/);
    fs.rmSync(path.join(soft, 'member-1'), { recursive: true });
    expectCleanFailure(await runCli(['attack', '--model', soft, '--data', 'mnist', '--limit', '10', '--attack', 'pgd', '--eps', '0.1']), /Ensemble member 1 \("member-1"\) of .*ensemble\.json does not exist .*restore that folder or remove it/);
  });
});
