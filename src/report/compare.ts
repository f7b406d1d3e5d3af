/**
 * `rampart compare`: side-by-side deltas of every metric two results share (A/B of two model versions), as a
 * text table, JSON, or a small self-contained HTML page styled like the report. The metrics are the gate
 * metric paths (src/report/gate-metrics.ts); Δ = B − A, judged better or worse by the metric's direction.
 * Nothing is recomputed. Results measured on different data or with a different seed are compared anyway, with
 * a note saying so.
 *
 * @example
 * const c = compareResults(JSON.parse(a), JSON.parse(b), { a: 'v1', b: 'v2' });
 * formatComparisonTable(c); // metric  A  B  Δ  verdict
 */
import { toReportView, type ReportView } from './html/view.js';
import { escapeHtml } from './html/render.js';
import { reportCss } from './html/styles.js';
import { listMetricValues, metricDefinition } from './gate-metrics.js';

export interface MetricDelta {
  path: string;
  name: string;
  a: number;
  b: number;
  /** b − a. */
  delta: number;
  higherIsBetter: boolean;
  verdict: 'better' | 'worse' | 'same';
}

export interface ComparedSide {
  label: string;
  model: string | null;
  modelSha256: string | null;
  data: string | null;
  count: number | null;
  seed: number | null;
}

export interface Comparison {
  a: ComparedSide;
  b: ComparedSide;
  metrics: MetricDelta[];
  /** Metric paths only one side has. */
  onlyA: string[];
  onlyB: string[];
  notes: string[];
}

const SAME = 1e-12;

function side(view: ReportView, label: string): ComparedSide {
  return { label, model: view.meta.model, modelSha256: view.meta.modelSha256, data: view.meta.data, count: view.meta.count, seed: view.meta.seed };
}

export function compareResults(a: unknown, b: unknown, labels: { a?: string; b?: string } = {}): Comparison {
  const viewA = toReportView(a);
  const viewB = toReportView(b);
  const valuesA = listMetricValues(viewA);
  const valuesB = new Map(listMetricValues(viewB).map((v) => [v.path, v]));
  const metrics: MetricDelta[] = [];
  const onlyA: string[] = [];
  // A warnings count is not a metric of the model; leave it out of the comparison.
  for (const va of valuesA.filter((v) => v.name !== 'warnings')) {
    const vb = valuesB.get(va.path);
    if (!vb) {
      onlyA.push(va.path);
      continue;
    }
    const higherIsBetter = metricDefinition(va.name)!.higherIsBetter;
    const delta = vb.value - va.value;
    const verdict = Math.abs(delta) <= SAME ? 'same' : delta > 0 === higherIsBetter ? 'better' : 'worse';
    metrics.push({ path: va.path, name: va.name, a: va.value, b: vb.value, delta, higherIsBetter, verdict });
  }
  const shared = new Set(valuesA.map((v) => v.path));
  const onlyB = [...valuesB.values()].filter((v) => v.name !== 'warnings' && !shared.has(v.path)).map((v) => v.path);
  const sideA = side(viewA, labels.a ?? viewA.meta.model ?? 'A');
  const sideB = side(viewB, labels.b ?? viewB.meta.model ?? 'B');
  const notes: string[] = [];
  if (sideA.data !== sideB.data || sideA.count !== sideB.count) notes.push(`the results were measured on different data (A: ${sideA.data ?? '?'}, ${sideA.count ?? '?'} samples; B: ${sideB.data ?? '?'}, ${sideB.count ?? '?'} samples)`);
  if (sideA.seed !== sideB.seed) notes.push(`the seeds differ (A: ${sideA.seed ?? '?'}, B: ${sideB.seed ?? '?'})`);
  if (sideA.modelSha256 && sideA.modelSha256 === sideB.modelSha256) notes.push('both results are of the same model (identical sha256)');
  if (metrics.length === 0) notes.push('the two results share no metric');
  return { a: sideA, b: sideB, metrics, onlyA, onlyB, notes };
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));
const signed = (v: number) => (Math.abs(v) <= SAME ? '0' : `${v > 0 ? '+' : '−'}${num(Math.abs(v))}`);

export function formatComparisonTable(c: Comparison): string {
  const lines = [`A  ${c.a.label}${c.a.model && c.a.model !== c.a.label ? ` (${c.a.model})` : ''}`, `B  ${c.b.label}${c.b.model && c.b.model !== c.b.label ? ` (${c.b.model})` : ''}`, ''];
  const rows = [['metric', 'A', 'B', 'Δ (B − A)', ''], ...c.metrics.map((m) => [m.path, num(m.a), num(m.b), signed(m.delta), m.verdict === 'same' ? '' : m.verdict])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [k, r] of rows.entries()) {
    lines.push(r.map((cell, i) => (i > 0 && i < 4 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd());
    if (k === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  const better = c.metrics.filter((m) => m.verdict === 'better').length;
  const worse = c.metrics.filter((m) => m.verdict === 'worse').length;
  lines.push('', `${c.metrics.length} shared metrics: B is better on ${better}, worse on ${worse}, the same on ${c.metrics.length - better - worse}`);
  if (c.onlyA.length) lines.push(`only in A: ${c.onlyA.join(', ')}`);
  if (c.onlyB.length) lines.push(`only in B: ${c.onlyB.join(', ')}`);
  for (const note of c.notes) lines.push(`note: ${note}`);
  return lines.join('\n') + '\n';
}

/** A self-contained HTML page of the comparison (no script, no request). */
export function renderComparisonHtml(c: Comparison): string {
  const sideRow = (name: string, s: ComparedSide) =>
    `<tr><th scope="row">${name}</th><td>${escapeHtml(s.label)}</td><td>${escapeHtml(s.model ?? '–')}</td><td><code>${escapeHtml(s.modelSha256?.slice(0, 12) ?? '–')}</code></td><td>${escapeHtml(s.data ?? '–')}${s.count !== null ? `, ${s.count}` : ''}</td><td>${escapeHtml(s.seed ?? '–')}</td></tr>`;
  const rows = c.metrics
    .map((m) => `<tr><td><code>${escapeHtml(m.path)}</code></td><td class="num">${num(m.a)}</td><td class="num">${num(m.b)}</td><td class="num ${m.verdict === 'same' ? '' : m.verdict}">${escapeHtml(signed(m.delta))}</td><td class="${m.verdict === 'same' ? '' : m.verdict}">${m.verdict === 'same' ? 'same' : m.verdict === 'better' ? '▲ better' : '▼ worse'}</td></tr>`)
    .join('\n');
  const only = (name: string, paths: string[]) => (paths.length ? `<p class="note">Only in ${name}: ${paths.map((p) => `<code>${escapeHtml(p)}</code>`).join(', ')}</p>` : '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Comparison: ${escapeHtml(c.a.label)} vs ${escapeHtml(c.b.label)}</title>
<style>${reportCss}</style>
</head>
<body>
<header class="report-head"><h1>Comparison: ${escapeHtml(c.a.label)} vs ${escapeHtml(c.b.label)}</h1>
<p class="lead">Δ = B − A for every metric both results have; better or worse follows each metric's direction (higher accuracy is better, lower error is better).</p></header>
<main>
<section id="sides"><h2>Results compared</h2>
<table><thead><tr><th></th><th scope="col">label</th><th scope="col">model</th><th scope="col">sha256</th><th scope="col">data</th><th scope="col">seed</th></tr></thead>
<tbody>${sideRow('A', c.a)}${sideRow('B', c.b)}</tbody></table>
${c.notes.length ? `<ul class="warnings">${c.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</section>
<section id="metrics"><h2>Metrics</h2>
<table><thead><tr><th scope="col">metric</th><th scope="col">A</th><th scope="col">B</th><th scope="col">Δ (B − A)</th><th scope="col">verdict</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${only('A', c.onlyA)}${only('B', c.onlyB)}
</section>
</main>
<footer>Generated by rampart compare from two results JSON files; this page is self-contained.</footer>
</body>
</html>
`;
}
