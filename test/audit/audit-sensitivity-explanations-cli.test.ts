/**
 * `rampart audit` end to end with the sensitivity and explanations sections (small knobs): schema-valid
 * results.json, the summary fields, what the CLI prints for them, the saliency PNGs under gallery/, the card's
 * paragraph and the report's sensitivity view and saliency gallery.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';
import { expectValidResultsFile } from '../helpers/json-schema.js';
import type { AuditResults } from '../../src/report/audit/results.js';

const SUITE = `
seed: 2
sections:
  - type: sensitivity
    samples: 20
    patch: 7
    top: 5
  - type: explanations
    samples: 2
    methods: [vanilla, integrated-gradients]
    integratedGradients: {steps: 8}
    attack: {id: pgd, options: {steps: 5}}
    corruption: {id: shot-noise, severity: 2}
`;

describe('rampart audit with sensitivity and explanations sections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-understanding-'));
  const out = path.join(dir, 'out');
  let run: CliRun;
  let results: AuditResults;

  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, 'suite.yaml'), SUITE);
    run = await runCli(['audit', '--config', path.join(dir, 'suite.yaml'), '--out', out, '--quiet']);
    results = expectValidResultsFile(path.join(out, 'results.json')) as AuditResults;
  }, 120_000);

  it('measures both sections, fills the summary and prints a headline for each', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(results.sectionOrder).toEqual(['sensitivity', 'explanations']);
    const s = results.sections.sensitivity;
    if (s.type !== 'sensitivity' || !s.metrics) throw new Error('no sensitivity metrics');
    expect(s.metrics).toMatchObject({ mode: 'occlusion', settings: { patch: 7, stride: 7, fill: 0 }, count: 20, units: 16, heatmap: { rows: 4, cols: 4 } });
    expect(s.metrics.ranking).toHaveLength(5);
    // the corner patches of MNIST digits are background: occluding them with 0 changes nothing
    expect(s.metrics.heatmap!.outputVariance[0][0]).toBe(0);
    expect(results.summary.sensitivityMaxAccuracyDrop).toBe(s.metrics.ranking[0].accuracyDrop);
    const e = results.sections.explanations;
    if (e.type !== 'explanations' || !e.metrics) throw new Error('no explanations metrics');
    expect(e.metrics.methods.map((m) => m.id)).toEqual(['vanilla', 'integrated-gradients']);
    expect(e.metrics.variants.map((v) => v.description)).toEqual(['clean', 'pgd linf ε=0.1', 'shot-noise severity 2']);
    expect(results.summary.saliencySimilarity?.map((x) => `${x.method}/${x.variant}`)).toEqual(['vanilla/adversarial', 'vanilla/corrupted', 'integrated-gradients/adversarial', 'integrated-gradients/corrupted']);
    expect(run.stdout).toMatch(/^sensitivity\s+ok\s+20\s+[\d.]+\s+most sensitive patch: patch rows \d+–\d+, cols \d+–\d+ \(accuracy −[\d.]+%\)$/m);
    expect(run.stdout).toMatch(/^explanations\s+ok\s+2\s+[\d.]+\s+2 inputs; saliency similarity to clean: vanilla adversarial [\d.]+, corrupted [\d.]+; integrated-gradients adversarial/m);
  });

  it('writes the saliency PNGs, the card paragraph and the report views', () => {
    const gallery = fs.readdirSync(path.join(out, 'gallery'));
    expect(gallery.filter((f) => f.startsWith('explanations-'))).toHaveLength(2 * 3 * 3);
    const card = fs.readFileSync(path.join(out, 'card.md'), 'utf8');
    expect(card).toMatch(/## Sensitivity and explanations\n\n- \*\*Sensitivity \(sensitivity\)\*\*: Occluding 7×7 patches one at a time \(16 patches, 20 samples\)/);
    expect(card).toMatch(/- \*\*Explanations \(explanations\)\*\*: saliency maps \(Vanilla gradient, Integrated Gradients\) of 2 inputs/);
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('id="chart-sensitivity-heatmap"');
    expect(html).toContain('id="chart-saliency-similarity"');
    expect(html.match(/class="saliency-row"/g)).toHaveLength(6);
  });

  it('same seed, same numbers and images', async () => {
    const again = await runCli(['audit', '--config', path.join(dir, 'suite.yaml'), '--out', path.join(dir, 'again'), '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    const second = expectValidResultsFile(path.join(dir, 'again', 'results.json')) as AuditResults;
    const strip = (r: AuditResults) => JSON.parse(JSON.stringify(r.sections), (key, value: unknown) => (key === 'timing' || key === 'seconds' ? undefined : value));
    expect(strip(second)).toEqual(strip(results));
  }, 60_000);
});
