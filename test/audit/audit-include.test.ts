/**
 * `rampart audit --include FILE`: results of `rampart sensitivity`, `rampart explain` (one explain.json per method)
 * and `rampart validate` run separately become the audit's sensitivity, explanations and validation sections
 * (nothing recomputed, images copied into gallery/, schema-valid), a result of another model is embedded with a
 * warning, and a file that is not such a result is refused with exit 2 before anything is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectValidResultsFile } from '../helpers/json-schema.js';
import type { AuditResults } from '../../src/report/audit/results.js';
import { renderReport } from '../../src/report/html/index.js';

describe('rampart audit --include', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-include-'));
  const file = (name: string) => path.join(dir, name);
  let results: AuditResults;
  let stdout = '';

  beforeAll(async () => {
    const runs = await Promise.all([
      runCli(['sensitivity', '--model', 'builtin:mnist-cnn', '--mode', 'occlusion', '--patch', '7', '--limit', '20', '--out', file('sens.json')]),
      runCli(['sensitivity', '--model', 'builtin:mnist-mlp', '--mode', 'occlusion', '--patch', '14', '--limit', '5', '--out', file('sens-mlp.json')]),
    ]);
    const more = [
      await runCli(['explain', '--model', 'builtin:mnist-cnn', '--limit', '2', '--method', 'vanilla', '--attack', 'pgd', '--eps', '0.1', '--attack-options', '{"steps":5}', '--corruption', 'shot-noise', '--severity', '2', '--out', file('ex-v')]),
      await runCli(['explain', '--model', 'builtin:mnist-cnn', '--limit', '2', '--method', 'integrated-gradients', '--steps', '8', '--attack', 'pgd', '--eps', '0.1', '--attack-options', '{"steps":5}', '--corruption', 'shot-noise', '--severity', '2', '--out', file('ex-ig')]),
      await runCli(['validate', '--model', 'builtin:mnist-cnn', '--attack', 'pgd', '--eps', '0.1', '--steps', '5', '--limit', '3', '--diagnostics', 'cheap', '--diagnostic-samples', '4', '--out', file('val.json'), '--quiet']),
    ];
    for (const run of [...runs, ...more]) expect(run.status, run.stderr).toBe(0);
    fs.writeFileSync(file('suite.yaml'), 'sections:\n  - type: clean\n    samples: 20\n');
    const audit = await runCli(['audit', '--config', file('suite.yaml'), '--out', file('out'), '--quiet', '--include', file('sens.json'), '--include', file('ex-v/explain.json'), '--include', file('ex-ig/explain.json'), '--include', file('val.json')]);
    expect(audit.status, audit.stderr).toBe(0);
    stdout = audit.stdout;
    results = expectValidResultsFile(file('out/results.json')) as AuditResults;
  }, 180_000);

  it('embeds the separately computed results as sections, unchanged', () => {
    expect(results.sectionOrder).toEqual(['clean', 'sensitivity', 'explanations', 'validation']);
    const included = JSON.parse(fs.readFileSync(file('sens.json'), 'utf8'));
    const s = results.sections.sensitivity;
    if (s.type !== 'sensitivity' || !s.metrics) throw new Error('no sensitivity metrics');
    expect(s.parameters).toMatchObject({ from: [file('sens.json')] });
    expect(s.method).toMatch(/included from .*sens\.json/);
    expect(s.metrics.ranking).toEqual(included.features.ranking.slice(0, 20));
    expect(s.metrics.heatmap).toEqual(included.features.heatmap);
    expect(s.warnings).toEqual([]);
    const e = results.sections.explanations;
    if (e.type !== 'explanations' || !e.metrics) throw new Error('no explanations metrics');
    expect(e.metrics.methods.map((m) => m.id)).toEqual(['vanilla', 'integrated-gradients']);
    expect(e.metrics.variants.map((v) => v.name)).toEqual(['clean', 'adversarial', 'corrupted']);
    const cell = e.metrics.examples[1].variants[2];
    expect(cell.input?.file).toBe('gallery/explanations-1-corrupted-input.png');
    expect(fs.readFileSync(file('out/' + cell.saliency[1].image!.file!))).toEqual(fs.readFileSync(file('ex-ig/integrated-gradients-1-corrupted.png')));
    const v = results.sections.validation;
    if (v.type !== 'validation' || !v.metrics) throw new Error('no validation metrics');
    expect(v.metrics.checks[0]).toMatchObject({ id: 'binarization', title: 'Binarization test' });
    expect(v.metrics.checks.length).toBeGreaterThan(1);
    expect(stdout).toMatch(/^explanations\s+ok\s+2\s/m);
  });

  it('the HTML report also renders a rampart sensitivity result on its own (heatmap and ranked table)', () => {
    const html = renderReport(JSON.parse(fs.readFileSync(file('sens.json'), 'utf8')));
    expect(html).toContain('id="chart-sensitivity-heatmap"');
    expect(html).toMatch(/<h3>Most sensitive patches<\/h3>/);
    expect(html.match(/<td>patch rows \d+–\d+, cols \d+–\d+<\/td>/g)?.length).toBe(16);
  });

  it('warns when a result belongs to another model, and refuses files that are no such result', async () => {
    const mismatch = await runCli(['audit', '--config', file('suite.yaml'), '--out', file('out-mlp'), '--quiet', '--include', file('sens-mlp.json')]);
    expect(mismatch.status, mismatch.stderr).toBe(0);
    const r = expectValidResultsFile(file('out-mlp/results.json')) as AuditResults;
    expect(r.sections.sensitivity.warnings.map((w) => w.code)).toEqual(['included-model-mismatch']);
    fs.writeFileSync(file('clean.json'), JSON.stringify({ schemaVersion: 1, hello: 'world' }));
    const bad = await runCli(['audit', '--config', file('suite.yaml'), '--out', file('out-bad'), '--include', file('clean.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/is not a Rampart result envelope/);
    expect(fs.existsSync(file('out-bad'))).toBe(false);
    const missing = await runCli(['audit', '--out', file('out-missing'), '--include', file('nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
  }, 60_000);
});
