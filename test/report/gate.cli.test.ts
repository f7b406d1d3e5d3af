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
  it('passes (exit 0) with a readable table and JUnit XML', () => {
    const junit = path.join(dir, 'pass', 'junit.xml');
    const run = runCli(['gate', '--results', results, '--require', 'cleanAccuracy >= 0.95', '--require', 'robustAccuracy[linf,0.1] >= 0.5', '--require', 'mCE <= 1.1', '--junit', junit]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/mCE <= 1\.1 +0\.8531 +PASS/);
    expect(run.stdout).toContain('all 3 gates passed');
    const xml = checkXml(fs.readFileSync(junit, 'utf8'));
    expect(xml.problems).toEqual([]);
    expect(xml.root!.attributes).toMatchObject({ tests: '3', failures: '0' });
  });

  it('fails (exit 1) naming the failed gates, and still writes the JUnit XML', () => {
    const junit = path.join(dir, 'fail.xml');
    const run = runCli(['gate', '--results', results, '--require', 'robustAccuracy[linf,0.1] >= 0.80', '--require', 'ece <= 0.05', '--junit', junit]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/robustAccuracy\[linf,0\.1\] >= 0\.80 +0\.5500 +FAIL/);
    expect(run.stderr).toBe('rampart: 1 of 2 gates failed: robustAccuracy[linf,0.1] >= 0.80 (robustAccuracy[linf,0.1] = 0.55).\n');
    expect(checkXml(fs.readFileSync(junit, 'utf8')).root!.attributes.failures).toBe('1');
  });

  it('prints the report as JSON with --json', () => {
    const run = runCli(['gate', '--results', results, '--require', 'oodAuroc[uniform,energy] < 0.5', '--json']);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { passed: boolean; gates: { path: string; actual: number }[] };
    expect(report.passed).toBe(true);
    expect(report.gates[0].path).toBe('oodAuroc[uniform,energy]');
  });

  it.each([
    [['--require', 'robustAccuracy[linf,0.1] => 0.8'], 'comparator'],
    [['--require', 'accuracy >= 0.9'], 'unknown metric "accuracy"'],
    [['--require', 'robustAccuracy[l2,0.1] >= 0.5'], 'available: robustAccuracy[l2,0.5]'],
  ])('exits 2 on a bad gate %j and writes no JUnit', (args, words) => {
    const junit = path.join(dir, `bad-${words.length}.xml`);
    const run = runCli(['gate', '--results', results, ...args, '--junit', junit]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(words);
    expect(run.stderr).not.toContain('    at ');
    expect(fs.existsSync(junit)).toBe(false);
  });

  it('exits 2 on a missing results file', () => {
    const run = runCli(['gate', '--results', path.join(dir, 'nope.json'), '--require', 'cleanAccuracy >= 0.9']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('does not exist');
  });
});
