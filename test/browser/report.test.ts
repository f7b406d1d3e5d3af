/**
 * Browser test of the HTML report: Debian's chromium (driven by playwright-core) opens index.html from disk
 * with every non-file request aborted and recorded; every chart must render (an SVG in each chart container,
 * all Vega views finished), the console must stay free of errors, and a full-page screenshot is saved to
 * test-artifacts/report.png. The input is a real `rampart audit` results.json (test/fixtures/report/), with the
 * sweep fixture added so that every chart type is drawn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { renderReport } from '../../src/report/html/index.js';
import { repoRoot } from '../helpers/cli.js';

const CHROMIUM = process.env.RAMPART_CHROMIUM ?? '/usr/bin/chromium';
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'report', name), 'utf8')) as Record<string, unknown>;

/**
 * The measured audit (test/fixtures/report/audit-results.json) plus the sweep fixture and the sensitivity and
 * explanations sections of a real audit run, so every kind of chart is drawn.
 */
function fullResults(): Record<string, unknown> {
  const audit = fixture('audit-results.json') as { sectionOrder: string[]; sections: Record<string, unknown> };
  const extra = fixture('audit-sensitivity-explanations.json') as { sectionOrder: string[]; sections: Record<string, unknown> };
  return { ...audit, sectionOrder: [...audit.sectionOrder, ...extra.sectionOrder], sections: { ...audit.sections, ...extra.sections }, sweep: fixture('sweep.json').sweep };
}

describe('HTML report in a browser', () => {
  let browser: Browser | undefined;
  let dir: string;
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: apt-get install chromium (or set RAMPART_CHROMIUM).`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-report-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart offline, without console errors or requests, and saves a screenshot', async () => {
    const html = renderReport(fullResults());
    const file = path.join(dir, 'index.html');
    fs.writeFileSync(file, html);

    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const external: string[] = [];
    const consoleErrors: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('file:') && !url.startsWith('data:')) external.push(url);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));

    await page.goto(`file://${file}`);
    await page.waitForFunction(() => document.body.getAttribute('data-charts') !== 'pending' && document.body.getAttribute('data-charts') !== null, undefined, { timeout: 30_000 });
    expect(await page.getAttribute('body', 'data-charts')).toBe('done');

    const charts = await page.$$eval('[data-chart]', (els) =>
      els.map((el) => ({ id: el.getAttribute('data-chart'), rendered: el.getAttribute('data-rendered'), svg: el.querySelector('svg, canvas') !== null, marks: el.querySelectorAll('svg path, svg rect, svg line, svg text').length })),
    );
    const expected = ['robustness-linf', 'robustness-l2', 'certified-l2', 'certified-linf', 'corruption-heatmap', 'corruption-families', 'stability', 'ood-noise', 'ood-uniform', 'reliability', 'sensitivity-heatmap', 'saliency-similarity', 'pareto'];
    expect(charts.map((c) => c.id).sort()).toEqual([...expected].sort());
    for (const chart of charts) {
      expect(chart.svg, `chart ${chart.id} has an SVG`).toBe(true);
      expect(chart.rendered, `chart ${chart.id} finished`).toBe('true');
      expect(chart.marks, `chart ${chart.id} drew marks`).toBeGreaterThan(10);
    }
    expect(Number(await page.getAttribute('body', 'data-chart-count'))).toBe(expected.length);
    // Gallery images are inline PNGs that decoded.
    const images = await page.$$eval('.example img', (els) => els.map((el) => ({ src: (el as HTMLImageElement).src.slice(0, 22), ok: (el as HTMLImageElement).naturalWidth > 0 })));
    expect(images.length).toBeGreaterThanOrEqual(9);
    for (const image of images) expect(image).toEqual({ src: 'data:image/png;base64,', ok: true });
    // The saliency gallery: 2 inputs × (clean, adversarial, corrupted) × (the input + 3 saliency maps), all decoded.
    const saliency = await page.$$eval('.saliency-example .saliency-row', (rows) =>
      rows.map((row) => ({ variant: row.getAttribute('data-variant'), images: [...row.querySelectorAll('img')].map((img) => (img as HTMLImageElement).naturalWidth > 0 && (img as HTMLImageElement).src.startsWith('data:image/png;base64,')) })),
    );
    expect(saliency.map((r) => r.variant)).toEqual(['clean', 'adversarial', 'corrupted', 'clean', 'adversarial', 'corrupted']);
    for (const row of saliency) expect(row.images).toEqual([true, true, true, true]);
    // The sensitivity view: the heatmap has one cell per occluded patch (7×7 for 4-pixel patches on 28×28) and the ranked table.
    expect(await page.$$eval('#chart-sensitivity-heatmap svg path[aria-roledescription="rect mark"], #chart-sensitivity-heatmap svg .mark-rect path', (els) => els.length)).toBeGreaterThanOrEqual(49);
    expect(await page.$$eval('#sensitivity table tbody tr', (rows) => rows.length)).toBeGreaterThanOrEqual(20);

    const artefacts = path.join(repoRoot, 'test-artifacts');
    fs.mkdirSync(artefacts, { recursive: true });
    await page.screenshot({ path: path.join(artefacts, 'report.png'), fullPage: true });
    fs.writeFileSync(path.join(artefacts, 'report.html'), html);
    // Printing opens every data table.
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    expect(await page.$$eval('details', (els) => els.every((el) => (el as HTMLDetailsElement).open))).toBe(true);
    await page.close();

    expect(external).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('a single command result (rampart calibration) renders just its sections, offline and error-free', async () => {
    const html = renderReport(fixture('calibration.json'));
    const file = path.join(dir, 'partial.html');
    fs.writeFileSync(file, html);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => document.body.getAttribute('data-charts') === 'done' || document.body.getAttribute('data-charts') === 'error', undefined, { timeout: 30_000 });
    expect(await page.getAttribute('body', 'data-charts')).toBe('done');
    expect(await page.$$eval('[data-chart]', (els) => els.map((el) => el.getAttribute('data-chart')))).toEqual(['reliability']);
    expect(await page.$$eval('main section', (els) => els.map((el) => el.id))).toEqual(['summary', 'calibration', 'methods']);
    expect(errors).toEqual([]);
    await page.close();
  });
});
