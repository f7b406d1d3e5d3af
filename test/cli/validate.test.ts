/** `rampart validate` end to end (binarization test and diagnostics). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { CliRun } from '../helpers/cli.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-validate-'));
});

function expectCleanFailure(run: CliRun, pattern: RegExp, status = 2): void {
  expect(run.status, run.stderr).toBe(status);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

const tabularModel = 'examples/tabular/model/model.json';
const tabularTest = 'csv:examples/tabular/breast-cancer-test.csv';

describe('rampart validate', () => {
  it('PGD on mnist-cnn passes the binarization test; the JSON envelope, file and printed table agree', async () => {
    const out = path.join(dir, 'validate.json');
    const run = await runCli(['validate', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--attack', 'pgd', '--eps', '0.1', '--steps', '20', '--limit', '6', '--diagnostics', 'cheap', '--diagnostic-samples', '8', '--json', '--out', out, '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(result);
    expect(result).toMatchObject({ schemaVersion: 1, model: { spec: 'builtin:mnist-cnn', numClasses: 10 }, attack: { id: 'pgd', options: { steps: 20 } } });
    expect(result.metrics.binarization).toHaveLength(1);
    expect(result.metrics.binarization[0]).toMatchObject({ epsilon: 0.1, tested: 6, setupFailures: 0, passed: true });
    expect(result.metrics.passed).toBe(true);
    expect(result.binarization[0].samples.filter((s: { status: string }) => s.status === 'tested')).toHaveLength(6);
    expect(result.diagnostics.flags).toEqual([]);
    expect(result.diagnostics.checks.map((c: { id: string }) => c.id)).not.toContain('not-converged');
  });

  it('a weakened attack fails the test; --gate exits 1 and the table says FAIL', async () => {
    const run = await runCli(['validate', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--attack', 'pgd', '--eps', '0.1', '--steps', '1', '--attack-options', '{"stepSize":0.0001,"randomStart":false}', '--limit', '5', '--diagnostics', 'none', '--gate', '--quiet']);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/0\.1\s+5\s+0\s+0\.0%\s+\S+\s+95\.0%\s+FAIL/);
    expect(run.stdout).toMatch(/FAILS the binarization test/);
    expect(run.stderr).toMatch(/fails the binarization test \(--gate\)/);
  });

  it('runs on the tabular example with all diagnostics', async () => {
    const run = await runCli(['validate', '--model', tabularModel, '--data', tabularTest, '--attack', 'pgd', '--eps', '0.05', '--limit', '8', '--diagnostic-samples', '8', '--json', '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.metrics.binarization[0].tested).toBe(8);
    expect(result.metrics.passed).toBe(true);
    expect(result.diagnostics.flags).toEqual([]);
    expect(result.diagnostics.checks.find((c: { id: string }) => c.id === 'not-converged').status).toBe('clear');
  });

  it('rejects bad input with one clear line (exit 2)', async () => {
    expectCleanFailure(await runCli(['validate', '--model', 'builtin:mnist-cnn', '--attack', 'nope', '--eps', '0.1']), /Unknown attack "nope"/);
    expectCleanFailure(await runCli(['validate', '--model', 'builtin:mnist-cnn', '--attack', 'pgd', '--eps', '0.1', '--eta', '1.5']), /--eta must be a number in \(0, 1\]/);
    expectCleanFailure(await runCli(['validate', '--model', 'builtin:mnist-cnn', '--attack', 'pgd', '--eps', '0.1', '--attack-options', '[1]']), /--attack-options must be a JSON object/);
  });
});
