/** `rampart sensitivity` end to end, and the diagnostics section of `rampart attack` results. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { CliRun } from '../helpers/cli.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-sensitivity-'));
});

function expectCleanFailure(run: CliRun, pattern: RegExp, status = 2): void {
  expect(run.status, run.stderr).toBe(status);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

const tabularModel = 'examples/tabular/model/model.json';
const tabularTest = 'csv:examples/tabular/breast-cancer-test.csv';

describe('rampart sensitivity', () => {
  it('features mode on the tabular example: ranked table with the CSV names, JSON with every feature', async () => {
    const printed = await runCli(['sensitivity', '--model', tabularModel, '--data', tabularTest, '--mode', 'features', '--amount', '0.2', '--top', '3', '--quiet']);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/rank\s+unit\s+accuracy drop/);
    expect(printed.stdout).toMatch(/\n1\s+(mean|worst|[a-z]+_)/);
    const run = await runCli(['sensitivity', '--model', tabularModel, '--data', tabularTest, '--mode', 'features', '--amount', '0.2', '--json', '--quiet']);
    const result = JSON.parse(run.stdout);
    expect(result.mode).toBe('features');
    expect(result.features.units).toHaveLength(30);
    expect(result.features.units[0].name).toBe('mean_radius');
    expect(result.metrics.top).toHaveLength(10);
    expect(result.features.heatmap).toBeUndefined();
  });

  it('occlusion mode on mnist-cnn gives heatmap data', async () => {
    const run = await runCli(['sensitivity', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--limit', '10', '--mode', 'occlusion', '--patch', '7', '--json', '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.features.heatmap.rows).toBe(4);
    expect(result.features.heatmap.accuracyDrop).toHaveLength(4);
    expect(result.features.heatmap.accuracyDrop[0]).toHaveLength(4);
  });

  it('parameters mode retrains on bootstrap resamples', async () => {
    const run = await runCli(['sensitivity', '--data', tabularTest, '--train', 'csv:examples/tabular/breast-cancer-train.csv', '--mode', 'parameters', '--runs', '2', '--epochs', '3', '--json', '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.parameters.runs).toBe(2);
    expect(result.parameters.metrics.perRun).toHaveLength(2);
    expect(result.metrics.meanPairwiseFlipRate).toBe(result.parameters.predictions.meanPairwiseFlipRate);
  });

  it('rejects missing inputs (exit 2)', async () => {
    expectCleanFailure(await runCli(['sensitivity', '--mode', 'features', '--data', tabularTest]), /needs --model/);
    expectCleanFailure(await runCli(['sensitivity', '--model', tabularModel, '--data', tabularTest, '--mode', 'occlusion']), /occlusion needs image samples/);
  });
});

describe('rampart attack carries the diagnostics', () => {
  it('adds a diagnostics section to the JSON and a line to the printed report', async () => {
    const run = await runCli(['attack', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--limit', '10', '--attack', 'fgsm,pgd', '--eps', '0.1', '--steps', '10', '--json', '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.diagnostics.flags).toEqual([]);
    const ids = result.diagnostics.checks.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['random-logits', 'softmax-output', 'gradient-health', 'iterative-weaker-than-single-step', 'noise-as-strong-as-attack']));
    expect(result.diagnostics.checks.find((c: { id: string }) => c.id === 'iterative-weaker-than-single-step').status).toBe('clear');
    const printed = await runCli(['attack', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--limit', '5', '--attack', 'fgsm', '--eps', '0.1', '--quiet']);
    expect(printed.stdout).toMatch(/diagnostics: no flags \(\d checks on 5 samples\)/);
  });
});
