/** rampart compare on two real audits (builtin:mnist-cnn as A, builtin:mnist-mlp as B, same suite and data). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareResults, formatComparisonTable, renderComparisonHtml } from '../../src/report/compare.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const fixturePath = (name: string) => path.join(repoRoot, 'test', 'fixtures', 'report', name);
const fixture = (name: string) => JSON.parse(fs.readFileSync(fixturePath(name), 'utf8')) as unknown;
const cnn = fixture('audit-results.json');
const mlp = fixture('audit-results-mlp.json');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-compare-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('compareResults', () => {
  const c = compareResults(cnn, mlp);
  const byPath = new Map(c.metrics.map((m) => [m.path, m]));

  it('gives B − A with the direction of each metric (values hand-read from the two fixtures)', () => {
    // clean: cnn 0.965, mlp 0.955 → Δ −0.01, worse (higher is better).
    expect(byPath.get('cleanAccuracy')).toMatchObject({ a: 0.965, b: 0.955, verdict: 'worse' });
    expect(byPath.get('cleanAccuracy')!.delta).toBeCloseTo(-0.01, 12);
    // worst case linf ε=0.1: cnn 33/60, mlp 5/60 → worse.
    expect(byPath.get('robustAccuracy[linf,0.1]')).toMatchObject({ a: 0.55, verdict: 'worse' });
    expect(byPath.get('robustAccuracy[linf,0.1]')!.b).toBeCloseTo(5 / 60, 12);
    // mCE: lower is better; the MLP is its own CE baseline, so its mCE is exactly 1 → worse than 0.853.
    expect(byPath.get('mCE')).toMatchObject({ b: 1, verdict: 'worse' });
    // FPR at 95% TPR: lower is better; cnn 1 → mlp 0.875 on noise is better.
    expect(byPath.get('oodFpr95[noise]')).toMatchObject({ a: 1, b: 0.875, verdict: 'better' });
    // Identical values are 'same'.
    expect(byPath.get('flipProbability[rotate]')).toMatchObject({ a: 0, b: 0, delta: 0, verdict: 'same' });
  });

  it('shares every metric of two audits of the same suite and notes nothing odd', () => {
    expect(c.onlyA).toEqual([]);
    expect(c.onlyB).toEqual([]);
    expect(c.notes).toEqual([]);
    expect(c.metrics.length).toBeGreaterThan(50);
    expect(c.metrics.every((m) => m.delta === m.b - m.a)).toBe(true);
  });

  it('compares an audit with a single command result over their shared metrics, noting the different data', () => {
    const other = compareResults(cnn, fixture('attack-linf.json'));
    expect(other.metrics.map((m) => m.path)).toEqual(['cleanAccuracy', 'robustAccuracy[linf,0.05]', 'robustAccuracy[linf,0.1]', 'robustAccuracy[linf,0.2]', 'robustAccuracy[linf,0.05,fgsm]', 'robustAccuracy[linf,0.1,fgsm]', 'robustAccuracy[linf,0.2,fgsm]', 'robustAccuracy[linf,0.05,pgd]', 'robustAccuracy[linf,0.1,pgd]', 'robustAccuracy[linf,0.2,pgd]']);
    expect(other.onlyA).toContain('mCE');
    expect(other.onlyB).toContain('robustAccuracy[linf,0.3]');
    expect(other.notes[0]).toContain('different data');
    expect(compareResults(cnn, cnn).notes).toContain('both results are of the same model (identical sha256)');
  });

  it('formats a text table and a script-free, request-free HTML page', () => {
    const text = formatComparisonTable(c);
    expect(text).toMatch(/cleanAccuracy +0\.9650 +0\.9550 +−0\.0100 +worse/);
    expect(text).toMatch(/shared metrics: B is better on \d+, worse on \d+, the same on \d+/);
    const html = renderComparisonHtml(c);
    expect(html).toContain('<code>cleanAccuracy</code>');
    expect(html).not.toMatch(/<script|https?:\/\/|src=/i);
  });
});

describe('rampart compare', () => {
  it('prints the table and writes HTML; --json gives the comparison', async () => {
    const html = path.join(dir, 'cmp.html');
    const run = await runCli(['compare', fixturePath('audit-results.json'), fixturePath('audit-results-mlp.json'), '--html', html, '--label-a', 'v1', '--label-b', 'v2']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('A  v1 (builtin:mnist-cnn)');
    expect(run.stdout).toMatch(/robustAccuracy\[linf,0\.1\] +0\.5500 +0\.0833 +−0\.4667 +worse/);
    expect(fs.readFileSync(html, 'utf8')).toContain('Comparison: v1 vs v2');
    const json = await runCli(['compare', fixturePath('audit-results.json'), fixturePath('audit-results-mlp.json'), '--json']);
    expect(json.status).toBe(0);
    expect((JSON.parse(json.stdout) as { metrics: unknown[] }).metrics.length).toBeGreaterThan(50);
  });

  it('exits 2 on a missing file', async () => {
    const run = await runCli(['compare', fixturePath('audit-results.json'), path.join(dir, 'missing.json')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('does not exist');
  });
});
