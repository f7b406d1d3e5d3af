/**
 * The HTML report without a browser: self-contained (no remote address anywhere), sections follow the
 * results, user text is escaped, and the audit fixtures the report tests read are valid results.json files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport, toReportView } from '../../src/report/html/index.js';
import { repoRoot } from '../helpers/cli.js';
import { expectValidResultsFile } from '../helpers/json-schema.js';

const fixturePath = (name: string) => path.join(repoRoot, 'test', 'fixtures', 'report', name);
const fixture = (name: string) => JSON.parse(fs.readFileSync(fixturePath(name), 'utf8')) as Record<string, unknown>;
const sectionIds = (html: string) => [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
const chartIds = (html: string) => [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);

describe('renderReport', () => {
  it('the audit fixtures validate against schema/results.schema.json', () => {
    expectValidResultsFile(fixturePath('audit-results.json'));
    expectValidResultsFile(fixturePath('audit-results-mlp.json'));
  });

  it('inlines everything: no remote address, no src= other than data: images', () => {
    const html = renderReport(fixture('audit-results.json'));
    const urls = [...html.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*/gi)].map((m) => m[0]);
    // Only XML namespace identifiers inside the Vega runtime (never fetched).
    expect(new Set(urls.map((u) => u.replace(/^https?:/, '')))).toEqual(new Set(['//www.w3.org/1999/xlink', '//www.w3.org/2000/svg', '//www.w3.org/2000/xmlns/']));
    for (const m of html.matchAll(/\ssrc="([^"]*)"/g)) expect(m[1].startsWith('data:image/png;base64,')).toBe(true);
    expect(html).not.toMatch(/<link\b/i);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    expect(style).not.toMatch(/@import|url\(|@font-face/i);
    expect(html).toContain("connect-src 'none'");
  });

  it('renders the sections the audit has and omits the rest', () => {
    const html = renderReport(fixture('audit-results.json'));
    expect(sectionIds(html)).toEqual(['summary', 'warnings', 'robustness', 'certified', 'corruptions', 'stability', 'ood', 'calibration', 'gallery', 'methods']);
    expect(chartIds(html)).toEqual(['robustness-linf', 'robustness-l2', 'certified-l2', 'certified-linf', 'corruption-heatmap', 'corruption-families', 'stability', 'ood-noise', 'ood-uniform', 'reliability']);
    // Validity checks are listed with their outcome; the audit's warnings are shown once each.
    expect(html).toContain('<h3>Validity checks</h3>');
    expect(html).toContain('Binarization test</td><td class="pass">pass</td>');
    expect((html.match(/abstained on 10\.0% of the samples/g) ?? []).length).toBe(1);
    expect((html.match(/class="example"/g) ?? []).length).toBe((fixture('audit-results.json').gallery as unknown[]).length);
  });

  it('a failed section is left out, reported as a warning, and listed with its reason', () => {
    const copy = structuredClone(fixture('audit-results.json')) as { sections: Record<string, Record<string, unknown>> };
    Object.assign(copy.sections.corruptions, { status: 'failed', reason: 'out of memory (example)', metrics: null });
    const html = renderReport(copy);
    expect(sectionIds(html)).not.toContain('corruptions');
    expect(chartIds(html)).not.toContain('corruption-heatmap');
    expect(html).toContain('<strong>corruptions:</strong> section failed: out of memory (example)');
    expect(html).toContain('&quot;status&quot;:&quot;failed&quot;');
    expect(toReportView(copy).corruption).toBeNull();
  });

  it('reads single command results: attack, corruptions (with stability), ood, sweep', () => {
    expect(chartIds(renderReport(fixture('attack-linf.json')))).toEqual(['robustness-linf']);
    expect(chartIds(renderReport(fixture('corruptions.json')))).toEqual(['corruption-heatmap', 'corruption-families', 'stability']);
    expect(chartIds(renderReport(fixture('ood.json')))).toEqual(['ood-noise']);
    expect(chartIds(renderReport(fixture('sweep.json')))).toEqual(['pareto']);
    const sweep = toReportView(fixture('sweep.json')).sweep!;
    expect(sweep.points.filter((p) => p.pareto).map((p) => p.label)).toEqual([
      'adversarial.method=standard adversarial.epsilon=0',
      'adversarial.method=pgd-at adversarial.epsilon=0.1',
      'adversarial.method=pgd-at adversarial.epsilon=0.2',
      'adversarial.method=trades adversarial.epsilon=0.2',
    ]);
    expect(sweep.evaluation).toBe('pgd, linf ε = 0.1 on mnist:test');
    const empty = renderReport({});
    expect(sectionIds(empty)).toEqual(['summary']);
    expect(chartIds(empty)).toEqual([]);
  });

  it('escapes text from the results (a hostile model spec cannot inject markup)', () => {
    const audit = fixture('attack-linf.json');
    const html = renderReport({ ...audit, model: { ...(audit.model as object), spec: '</script><script>alert(1)</script>' } });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    // Inside the inlined chart JSON, "<" is escaped too.
    const json = /<script type="application\/json" id="rampart-charts">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(json).not.toContain('<');
  });

  it('is a pure function of the results (same input, same page)', () => {
    const results = fixture('audit-results.json');
    expect(renderReport(results)).toBe(renderReport(structuredClone(results)));
  });
});
