/** `rampart gate` end to end on a real audit results.json: exit 0 pass, 1 fail (JUnit still written), 2 bad input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { checkXml } from './xml.js';

const results = path.join(repoRoot, 'test', 'fixtures', 'report', 'audit-results.json');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-gate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart gate', () => {
  it('passes (exit 0) with a readable table and JUnit XML', async () => {
    const junit = path.join(dir, 'pass', 'junit.xml');
    const run = await runCli(['gate', '--results', results, '--require', 'cleanAccuracy >= 0.95', '--require', 'robustAccuracy[linf,0.1] >= 0.5', '--require', 'mCE <= 1.1', '--junit', junit]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/mCE <= 1\.1 +0\.8531 +PASS/);
    expect(run.stdout).toContain('all 3 gates passed');
    const xml = checkXml(fs.readFileSync(junit, 'utf8'));
    expect(xml.problems).toEqual([]);
    expect(xml.root!.attributes).toMatchObject({ tests: '3', failures: '0' });
  });

  it('fails (exit 1) naming the failed gates, still writes the JUnit XML; --json gives the report', async () => {
    const junit = path.join(dir, 'fail.xml');
    const run = await runCli(['gate', '--results', results, '--require', 'robustAccuracy[linf,0.1] >= 0.80', '--require', 'oodAuroc[uniform,energy] < 0.5', '--junit', junit, '--json']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('rampart: 1 of 2 gates failed: robustAccuracy[linf,0.1] >= 0.80 (robustAccuracy[linf,0.1] = 0.55).\n');
    const report = JSON.parse(run.stdout) as { passed: boolean; gates: { path: string; actual: number; passed: boolean }[] };
    expect(report.passed).toBe(false);
    expect(report.gates.map((g) => [g.path, g.passed])).toEqual([['robustAccuracy[linf,0.1]', false], ['oodAuroc[uniform,energy]', true]]);
    expect(checkXml(fs.readFileSync(junit, 'utf8')).root!.attributes.failures).toBe('1');
  });

  it('exits 2 on a malformed gate and writes no JUnit', async () => {
    const junit = path.join(dir, 'malformed.xml');
    const run = await runCli(['gate', '--results', results, '--require', 'robustAccuracy[linf,0.1] => 0.8', '--junit', junit]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('expected a comparator');
    expect(run.stderr).not.toContain('    at ');
    expect(fs.existsSync(junit)).toBe(false);
  });

  it('exits 2 on an unknown metric and on a value the results do not have, reporting both at once', async () => {
    const junit = path.join(dir, 'unknown.xml');
    const run = await runCli(['gate', '--results', results, '--require', 'accuracy >= 0.9', '--require', 'robustAccuracy[l2,0.1] >= 0.5', '--junit', junit]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('2 gates are not usable');
    expect(run.stderr).toContain('unknown metric "accuracy"');
    expect(run.stderr).toContain('available: robustAccuracy[l2,0.5], robustAccuracy[l2,1], robustAccuracy[l2,1.5]');
    expect(fs.existsSync(junit)).toBe(false);
  });

  it('exits 2 on a missing results file', async () => {
    const run = await runCli(['gate', '--results', path.join(dir, 'nope.json'), '--require', 'cleanAccuracy >= 0.9']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('does not exist');
  });
});
