/**
 * `renderReport(results)`: the audit's index.html, a pure function of the results JSON. The page is one
 * self-contained file that works offline: the Vega runtime (node_modules/vega/build/vega.min.js) and every
 * chart's Vega spec (compiled from Vega-Lite here, in Node) and data are inlined; images are PNG data URIs;
 * fonts are the system's. It makes no request of any kind. Sections a result does not have are left out.
 *
 * Each chart sits in a `figure` with an accessible description, a caption and its numbers as a table (shown in
 * print); the page sets `data-charts="done"` on <body> when every Vega view has rendered (or "error").
 *
 * @example
 * fs.writeFileSync('index.html', renderReport(JSON.parse(fs.readFileSync('results.json', 'utf8'))));
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  certifiedChart,
  compileChart,
  corruptionHeatmap,
  familyBars,
  oodChart,
  paretoChart,
  reliabilityChart,
  robustnessChart,
  saliencySimilarityChart,
  sensitivityBars,
  sensitivityHeatmap,
  stabilityChart,
  type Chart,
} from './charts.js';
import { amplifiedDifference, imageToDataUri } from './images.js';
import { reportCss } from './styles.js';
import { toReportView, type GalleryItem, type ReportView, type SaliencyExample } from './view.js';

let cachedRuntime: string | undefined;

/** The Vega runtime's source, read from the installed `vega` package. */
export function vegaRuntimeSource(): string {
  if (cachedRuntime === undefined) {
    const require = createRequire(import.meta.url);
    // `vega` exports only its module entry and the schema; the UMD bundle sits beside the schema in build/.
    const file = path.join(path.dirname(require.resolve('vega/vega-schema.json')), 'vega.min.js');
    cachedRuntime = fs.readFileSync(file, 'utf8');
  }
  return cachedRuntime;
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe to put inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export const percent = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)}%`);
const fixed = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits));

/** A plain HTML table (the accessible, printable twin of a chart). */
export function htmlTable(headers: string[], rows: (string | number | null)[][], numeric: boolean[] = []): string {
  const head = `<tr>${headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(c ?? '–')}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function figure(chart: Chart, caption: string, table: string, openTable = false): string {
  return `<figure>
<div class="chart" id="chart-${escapeHtml(chart.id)}" data-chart="${escapeHtml(chart.id)}" role="img" aria-label="${escapeHtml(chart.title + '. ' + chart.description)}"></div>
<figcaption><strong>${escapeHtml(chart.title)}.</strong> ${escapeHtml(caption)}</figcaption>
<details${openTable ? ' open' : ''}><summary>Data table</summary>${table}</details>
</figure>`;
}

interface Section {
  id: string;
  title: string;
  html: string;
}

const unique = <T>(values: T[]) => [...new Set(values)];

function scorecard(view: ReportView): Section {
  const tiles: { label: string; value: string; sub?: string }[] = [];
  if (view.clean) tiles.push({ label: 'Clean accuracy', value: percent(view.clean.accuracy), sub: view.clean.count ? `${view.clean.count} samples` : undefined });
  for (const norm of unique(view.robustness?.worstCase.map((w) => w.norm) ?? [])) {
    const rows = view.robustness!.worstCase.filter((x) => x.norm === norm).sort((a, b) => a.epsilon - b.epsilon);
    // One tile per norm: the middle ε as the headline, every ε listed below it.
    const headline = rows[Math.floor((rows.length - 1) / 2)];
    tiles.push({
      label: `Robust accuracy, ${norm} ε = ${headline.epsilon}`,
      value: percent(headline.robustAccuracy),
      sub: `worst case; ${rows.map((w) => `ε ${w.epsilon}: ${percent(w.robustAccuracy, 0)}`).join(', ')}`,
    });
  }
  if (view.certified) {
    for (const method of unique(view.certified.points.map((p) => p.method))) {
      const points = view.certified.points.filter((p) => p.method === method && p.epsilon > 0).sort((a, b) => a.epsilon - b.epsilon);
      const first = points[0];
      if (first) tiles.push({ label: `Certified, ${method} ${first.norm} ε = ${first.epsilon}`, value: percent(first.certifiedAccuracy), sub: 'provable lower bound' });
    }
  }
  if (view.corruption) {
    tiles.push({ label: 'Corruption accuracy', value: percent(view.corruption.meanAccuracy), sub: `mean over ${unique(view.corruption.cells.map((c) => c.corruption)).length} corruptions` });
    if (view.corruption.mCE !== null) tiles.push({ label: 'mCE', value: fixed(view.corruption.mCE, 3), sub: 'vs baseline; < 1 is better' });
  }
  if (view.stability?.meanFlipProbability != null) tiles.push({ label: 'Mean flip probability', value: percent(view.stability.meanFlipProbability, 2), sub: 'perturbation sequences' });
  if (view.ood) {
    for (const set of unique(view.ood.entries.map((e) => e.set))) {
      const entries = view.ood.entries.filter((e) => e.set === set);
      const e = entries.find((x) => x.primary) ?? entries[0];
      tiles.push({ label: `OOD AUROC vs ${set}`, value: fixed(e.auroc, 3), sub: `${e.score}; 0.5 = chance` });
    }
  }
  if (view.calibration) tiles.push({ label: 'ECE', value: percent(view.calibration.ece, 2), sub: `${view.calibration.bins.length} bins; lower is better` });
  if (view.warnings.length) tiles.push({ label: 'Warnings', value: String(view.warnings.length), sub: 'see Warnings' });
  const html = `<div class="scorecard" role="list">${tiles
    .map((t) => `<div class="tile" role="listitem"><div class="label">${escapeHtml(t.label)}</div><div class="value">${escapeHtml(t.value)}</div>${t.sub ? `<div class="sub">${escapeHtml(t.sub)}</div>` : ''}</div>`)
    .join('\n')}</div>`;
  return { id: 'summary', title: 'Summary', html };
}

function robustnessSection(view: ReportView, charts: Chart[]): Section | null {
  const r = view.robustness;
  if (!r) return null;
  const norms = unique([...r.points.map((p) => p.norm), ...r.worstCase.map((w) => w.norm)]);
  const figures = norms.map((norm) => {
    const chart = robustnessChart(norm, r);
    charts.push(chart);
    const rows = [
      ...r.points.filter((p) => p.norm === norm).map((p) => [p.attack, p.epsilon, percent(p.robustAccuracy), percent(p.attackSuccessRate), p.invalid]),
      ...r.worstCase.filter((w) => w.norm === norm).map((w) => ['worst case', w.epsilon, percent(w.robustAccuracy), percent(w.attackSuccessRate), '']),
    ];
    return figure(chart, 'Each attack alone, and the per-sample worst case over all attacks (wide gray band): a sample counts as robust only if no attack broke it.', htmlTable(['attack', 'ε', 'robust accuracy', 'success rate', 'invalid'], rows, [false, true, true, true, true]));
  });
  return {
    id: 'robustness',
    title: 'Adversarial robustness',
    html: `<p class="note">Robust accuracy is the fraction of all samples still classified correctly under attack; every adversarial example was re-verified by an independent forward pass. Empirical robust accuracy is an upper bound on the true robust accuracy.</p><div class="charts">${figures.join('\n')}</div>`,
  };
}

function certifiedSection(view: ReportView, charts: Chart[]): Section | null {
  const c = view.certified;
  if (!c) return null;
  const norms = unique(c.points.map((p) => p.norm));
  const figures = norms.map((norm) => {
    const chart = certifiedChart(norm, c.points, view.robustness?.worstCase ?? []);
    charts.push(chart);
    const rows = c.points.filter((p) => p.norm === norm).map((p) => [p.method, p.epsilon, percent(p.certifiedAccuracy), p.abstained === null ? '–' : percent(p.abstained)]);
    return figure(chart, 'Certified accuracy is a provable lower bound; the attacked (empirical) accuracy an upper bound. The true robust accuracy lies between the curves.', htmlTable(['method', 'ε / radius', 'certified accuracy', 'abstained'], rows, [false, true, true, true]));
  });
  return { id: 'certified', title: 'Certified vs empirical robustness', html: `<div class="charts">${figures.join('\n')}</div>` };
}

function corruptionSection(view: ReportView, charts: Chart[]): Section | null {
  const c = view.corruption;
  if (!c) return null;
  const heat = corruptionHeatmap(c);
  const bars = familyBars(c);
  const out: string[] = [];
  if (c.cells.length) {
    charts.push(heat);
    out.push(figure(heat, `Accuracy per corruption (${c.suite ?? 'suite'}) and severity.`, htmlTable(['corruption', 'family', 'severity', 'accuracy'], c.cells.map((x) => [x.corruption, x.family, x.severity, percent(x.accuracy)]), [false, false, true, true])));
  }
  if (c.families.length) {
    charts.push(bars);
    out.push(figure(bars, 'Mean error over the corruptions of each family.', htmlTable(['family', 'mean error'], c.families.map((f) => [f.family, percent(f.meanError)]), [false, true])));
  }
  const summary = `<p class="note">Mean corrupted accuracy ${percent(c.meanAccuracy)}; mean error ${percent(c.meanError)}${c.mCE !== null ? `; mCE ${fixed(c.mCE)}` : ''}${c.relativeMCE !== null ? `; relative mCE ${fixed(c.relativeMCE)}` : ''} (CE is the error relative to the baseline model's; below 1 is better than the baseline).</p>`;
  return { id: 'corruptions', title: 'Common corruptions', html: `${summary}<div class="charts">${out.join('\n')}</div>` };
}

function stabilitySection(view: ReportView, charts: Chart[]): Section | null {
  const s = view.stability;
  if (!s || s.sequences.length === 0) return null;
  const chart = stabilityChart(s);
  charts.push(chart);
  const table = htmlTable(['sequence', 'flip probability', 'flip rate vs baseline'], s.sequences.map((q) => [q.sequence, percent(q.flipProbability, 2), fixed(q.flipRate)]), [false, true, true]);
  return {
    id: 'stability',
    title: 'Perturbation stability',
    html: `<p class="note">Mean flip probability ${percent(s.meanFlipProbability, 2)}${s.mFR !== null ? `, mFR ${fixed(s.mFR)}` : ''}.</p><div class="charts">${figure(chart, 'How often the prediction changes along a sequence of small perturbations (ImageNet-P style).', table)}</div>`,
  };
}

function oodSection(view: ReportView, charts: Chart[]): Section | null {
  const o = view.ood;
  if (!o) return null;
  const figures = unique(o.entries.map((e) => e.set)).map((set) => {
    const chart = oodChart(set, o);
    charts.push(chart);
    const rows = o.entries.filter((e) => e.set === set).map((e) => [e.score, fixed(e.auroc), fixed(e.auprIn), fixed(e.auprOut), percent(e.fprAt95Tpr)]);
    return figure(chart, `In-distribution data vs ${o.entries.find((e) => e.set === set)!.spec}; in-distribution is the positive class, 0.5 AUROC is chance, below 0.5 means the model is more confident on the OOD data.`, htmlTable(['score', 'AUROC', 'AUPR-in', 'AUPR-out', 'FPR at 95% TPR'], rows, [false, true, true, true, true]));
  });
  return { id: 'ood', title: 'Out-of-distribution detection', html: `<div class="charts">${figures.join('\n')}</div>` };
}

function calibrationSection(view: ReportView, charts: Chart[]): Section | null {
  const c = view.calibration;
  if (!c) return null;
  const chart = reliabilityChart(c.bins, c.calibratedBins);
  charts.push(chart);
  const table = htmlTable(
    ['bin', 'count', 'confidence', 'accuracy'],
    c.bins.filter((b) => b.count > 0).map((b) => [`${fixed(b.lower, 2)}–${fixed(b.upper, 2)}`, b.count, fixed(b.confidence), fixed(b.accuracy)]),
    [false, true, true, true],
  );
  const facts = [`ECE ${percent(c.ece, 2)}`, c.mce !== null ? `MCE ${percent(c.mce, 2)}` : '', c.brier !== null ? `Brier ${fixed(c.brier, 4)}` : '', c.nll !== null ? `NLL ${fixed(c.nll, 4)}` : '', c.temperature !== null ? `temperature T = ${fixed(c.temperature)}${c.calibratedEce !== null ? ` (ECE after scaling ${percent(c.calibratedEce, 2)})` : ''}` : '']
    .filter(Boolean)
    .join('; ');
  return { id: 'calibration', title: 'Calibration', html: `<p class="note">${escapeHtml(facts)}.</p><div class="charts">${figure(chart, 'Bars: accuracy per confidence bin of the raw model; lines: mean confidence vs accuracy per bin.', table)}</div>` };
}

function exampleCard(item: GalleryItem): string {
  const original = imageToDataUri(item.original);
  const perturbed = imageToDataUri(item.perturbed);
  if (!original || !perturbed) return '';
  const computed = item.difference ? null : amplifiedDifference(item.original, item.perturbed);
  const difference = item.difference ? imageToDataUri(item.difference) : computed?.uri ?? null;
  const conf = (p: number | string | null, c: number | null) => `${p ?? '?'}${c !== null ? ` (${percent(c)})` : ''}`;
  const label = item.label ?? '?';
  const img = (src: string, alt: string, caption: string) => `<figure><img src="${src}" alt="${escapeHtml(alt)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  return `<div class="example">
<div class="imgs">${img(original, `original, label ${label}`, 'original')}${img(perturbed, `${item.kind}, predicted ${item.perturbedPrediction ?? '?'}`, item.kind)}${difference ? img(difference, 'amplified difference', computed ? `difference ×${computed.factor.toFixed(1)}` : item.differenceFactor !== null ? `|difference| ×${Number(item.differenceFactor.toPrecision(2))}` : 'difference') : ''}</div>
<p>${escapeHtml(item.caption)}</p>
<p>label <strong>${escapeHtml(label)}</strong> · original → ${escapeHtml(conf(item.originalPrediction, item.originalConfidence))} · ${escapeHtml(item.kind)} → <strong>${escapeHtml(conf(item.perturbedPrediction, item.perturbedConfidence))}</strong></p>
</div>`;
}

/** One input's saliency card: a row per version (clean, adversarial, corrupted): the input, then its saliency map per method. */
function saliencyCard(example: SaliencyExample, methods: { id: string; title: string }[]): string {
  const img = (src: string, alt: string, caption: string) => `<figure><img src="${src}" alt="${escapeHtml(alt)}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  const rows = example.variants.map((v) => {
    const input = v.input ? imageToDataUri(v.input) : null;
    const verdict = v.attackSuccess === null ? '' : v.attackSuccess ? ' (attack succeeded)' : ' (attack failed)';
    const cells = v.saliency.map((c) => {
      const uri = c.image ? imageToDataUri(c.image) : null;
      if (!uri) return '';
      const title = methods.find((m) => m.id === c.method)?.title ?? c.method;
      const note = c.similarityToClean !== null ? ` · sim ${c.similarityToClean.toFixed(2)}` : '';
      return img(uri, `${title} saliency of the ${v.name} input`, `${c.method}${note}`);
    });
    return `<div class="saliency-row" data-variant="${escapeHtml(v.name)}"><div class="imgs">${input ? img(input, `${v.name} input, predicted ${v.predicted}`, `${v.name} → ${v.predicted}`) : ''}${cells.join('')}</div><p>${escapeHtml(v.description)}: predicted <strong>${escapeHtml(v.predicted)}</strong>${escapeHtml(verdict)}</p></div>`;
  });
  return `<div class="example saliency-example"><p>sample #${example.sampleIndex}, label <strong>${escapeHtml(example.label)}</strong></p>${rows.join('\n')}</div>`;
}

function gallerySection(view: ReportView): Section | null {
  const cards = view.gallery.map(exampleCard).filter(Boolean);
  const e = view.explanations;
  const saliency = e ? e.examples.filter((x) => x.variants.some((v) => v.input !== null)).map((x) => saliencyCard(x, e.methods)) : [];
  if (cards.length === 0 && saliency.length === 0) return null;
  const parts: string[] = [];
  if (cards.length) parts.push(`<p class="note">Original, perturbed, and their difference amplified so that small changes are visible (the factor is under each image); predictions with their softmax confidence.</p><div class="gallery">${cards.join('\n')}</div>`);
  if (saliency.length) {
    parts.push(
      `<h3>Saliency maps</h3><p class="note">What the model looks at: for each input (clean, adversarial, corrupted) its saliency map per attribution method — |attribution| summed over channels, black → red → yellow → white, each map scaled to its own 99th percentile; "sim" is the cosine similarity to the clean input's map. Methods: ${escapeHtml(e!.methods.map((m) => m.title).join(', '))}.</p><div class="gallery saliency-gallery">${saliency.join('\n')}</div>`,
    );
  }
  return { id: 'gallery', title: 'Examples', html: parts.join('\n') };
}

function sensitivitySection(view: ReportView, charts: Chart[]): Section | null {
  const s = view.sensitivity;
  if (!s) return null;
  const out: string[] = [];
  const unit = s.mode === 'occlusion' ? 'patch' : 'feature';
  const ranking = htmlTable(
    ['rank', unit, 'accuracy drop', 'output variance', 'mean |Δp|'],
    s.ranking.map((u, k) => [k + 1, u.name, percent(u.accuracyDrop, 2), u.outputVariance.toExponential(2), fixed(u.meanProbabilityChange, 4)]),
    [true, false, true, true, true],
  );
  if (s.heatmap) {
    const chart = sensitivityHeatmap(s);
    charts.push(chart);
    const cells = s.heatmap.accuracyDrop.flatMap((line, r) => line.map((d, c) => [r, c, percent(d, 2)]));
    out.push(figure(chart, s.mode === 'occlusion' ? `Each ${s.settings.patch}×${s.settings.patch} patch (stride ${s.settings.stride}) filled with ${s.settings.fill}, one at a time, on ${s.count} samples.` : `Each pixel nudged by ±${s.settings.amount}, one at a time (the largest drop over channels).`, htmlTable(['row', 'column', 'accuracy drop'], cells, [true, true, true])));
  } else {
    const chart = sensitivityBars(s);
    charts.push(chart);
    out.push(figure(chart, `Each feature nudged by ±${s.settings.amount}, one at a time, on ${s.count} samples.`, ranking));
  }
  const intro = `<p class="note">Clean accuracy ${percent(s.cleanAccuracy)} on ${s.count} samples; ${s.units} ${s.units === 1 ? unit : unit === 'patch' ? 'patches' : 'features'} measured one at a time. Accuracy drop = clean accuracy − accuracy with that ${unit} ${s.mode === 'occlusion' ? 'occluded' : 'changed'}; output variance = variance of the true-class probability across the clean and changed inputs.</p>`;
  const table = `<h3>Most sensitive ${unit === 'patch' ? 'patches' : 'features'}</h3>${ranking}`;
  let params = '';
  if (s.parameters) {
    const p = s.parameters;
    params = `<h3>Parameter variability</h3><p class="note">${p.runs} retrainings on ${p.resample === 'bootstrap' ? 'bootstrap resamples' : 'noisy copies'} of ${escapeHtml(p.train)} (${p.trainCount} samples): accuracy ${percent(p.accuracy.mean)} ± ${percent(p.accuracy.std)} (min ${percent(p.accuracy.min)}, max ${percent(p.accuracy.max)}); mean pairwise flip rate ${percent(p.meanPairwiseFlipRate, 2)} (max ${percent(p.maxPairwiseFlipRate, 2)}); the runs disagree on ${percent(p.unstableFraction, 2)} of the samples.</p>${htmlTable(['layer', 'parameters', 'std / |w|', 'pairwise relative distance'], p.weights.map((w) => [w.layer, w.parameters, fixed(w.relativeStd), fixed(w.meanPairwiseRelativeDistance)]), [false, true, true, true])}`;
  }
  return { id: 'sensitivity', title: 'Sensitivity analysis', html: `${intro}<div class="charts">${out.join('\n')}</div>${table}${params}` };
}

function explanationsSection(view: ReportView, charts: Chart[]): Section | null {
  const e = view.explanations;
  if (!e) return null;
  const out: string[] = [];
  if (e.similarity.some((x) => x.meanSimilarityToClean !== null)) {
    const chart = saliencySimilarityChart(e);
    charts.push(chart);
    out.push(figure(chart, 'A low similarity means the explanation of the perturbed input differs from the clean one: the perturbation changed what the model relies on.', htmlTable(['method', 'variant', 'similarity to clean', 'completeness gap'], e.similarity.map((x) => [x.method, x.variant, fixed(x.meanSimilarityToClean), x.meanCompletenessGap === null ? '–' : percent(x.meanCompletenessGap, 2)]), [false, false, true, true])));
  }
  const variants = htmlTable(['variant', 'what', 'accuracy', 'attack success'], e.variants.map((v) => [v.name, v.description, percent(v.accuracy), v.attackSuccessRate === null ? '–' : percent(v.attackSuccessRate)]), [false, false, true, true]);
  return { id: 'explanations', title: 'Explanations of failures', html: `<p class="note">${escapeHtml(e.methods.map((m) => m.title).join(', '))} on ${e.examples.length} inputs; the maps themselves are in the Examples gallery.</p><div class="charts">${out.join('\n')}</div>${variants}` };
}

function warningsSection(view: ReportView): Section | null {
  if (view.warnings.length === 0 && view.validity.length === 0) return null;
  const list = view.warnings.length
    ? `<ul class="warnings">${view.warnings.map((w) => `<li><strong>${escapeHtml(w.section)}:</strong> ${escapeHtml(w.message)}</li>`).join('\n')}</ul>`
    : '<p class="note">No warnings.</p>';
  const checks = view.validity.length
    ? `<h3>Validity checks</h3><p class="note">Checks that the evaluation itself can be trusted (gradient masking, obfuscated gradients, output format).</p>
<table><thead><tr><th scope="col">check</th><th scope="col">outcome</th><th scope="col">finding</th></tr></thead><tbody>
${view.validity.map((c) => `<tr><td>${escapeHtml(c.title)}</td><td class="${c.outcome === 'pass' ? 'pass' : c.outcome === 'skipped' ? '' : 'fail'}">${escapeHtml(c.outcome)}</td><td>${escapeHtml(c.message)}</td></tr>`).join('\n')}
</tbody></table>`
    : '';
  return { id: 'warnings', title: view.validity.length ? 'Warnings and validity checks' : 'Warnings', html: list + checks };
}

function sweepSection(view: ReportView, charts: Chart[]): Section | null {
  const s = view.sweep;
  if (!s) return null;
  const chart = paretoChart(s);
  charts.push(chart);
  const table = htmlTable(['#', 'configuration', 'clean accuracy', 'robust accuracy', 'Pareto-optimal'], s.points.map((p, i) => [`#${i + 1}`, p.label, percent(p.cleanAccuracy), percent(p.robustAccuracy), p.pareto ? 'yes' : 'no']), [false, false, true, true, false]);
  return { id: 'sweep', title: 'Sweep: Pareto front', html: `<div class="charts">${figure(chart, `Robust accuracy${s.evaluation ? ` under ${s.evaluation}` : ''}. A configuration is Pareto-optimal when no other is at least as good on both accuracies and better on one; #n is row n of the table.`, table, true)}</div>` };
}

function methodsSection(view: ReportView): Section | null {
  if (view.methods.length === 0) return null;
  const rows = view.methods.map((m) => [m.section, m.method, m.params === null || m.params === undefined ? '–' : JSON.stringify(m.params)]);
  return { id: 'methods', title: 'Methods and parameters', html: htmlTable(['section', 'method', 'parameters'], rows) };
}

function header(view: ReportView, title: string): string {
  const m = view.meta;
  const meta: [string, string | null][] = [
    ['model', m.model ? `${m.model}${m.modelSha256 ? ` (sha256 ${m.modelSha256.slice(0, 12)}…)` : ''}` : null],
    ['data', m.data ? `${m.data}${m.count !== null ? `, ${m.count} samples` : ''}` : null],
    ['seed', m.seed !== null ? String(m.seed) : null],
    ['tool', `${m.tool}${m.version ? ` ${m.version}` : ''}`],
    ['time', m.seconds !== null ? `${m.seconds.toFixed(1)} s` : null],
    ['created', m.createdAt],
  ];
  return `<header class="report-head"><h1>${escapeHtml(title)}</h1>
<dl class="meta">${meta.filter(([, v]) => v).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}${m.command ? `<dt>reproduce</dt><dd><code>${escapeHtml(m.command)}</code></dd>` : ''}</dl></header>`;
}

/** The page boot script: draws every chart with the inlined Vega runtime, then marks the body. */
const bootScript = `
(function () {
  // Printing shows every chart's data table (closed <details> would hide them).
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  });
  var specs = JSON.parse(document.getElementById('rampart-charts').textContent);
  var body = document.body;
  body.setAttribute('data-charts', 'pending');
  body.setAttribute('data-chart-count', String(specs.length));
  var views = specs.map(function (c) {
    var el = document.getElementById('chart-' + c.id);
    var view = new vega.View(vega.parse(c.spec), { renderer: 'svg', container: el, hover: true, loader: vega.loader({ mode: 'none' }) });
    return view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); });
  });
  Promise.all(views).then(function () { body.setAttribute('data-charts', 'done'); }, function (err) {
    body.setAttribute('data-charts', 'error');
    console.error('rampart report: a chart failed to render: ' + (err && err.message ? err.message : err));
  });
})();
`;

export interface RenderOptions {
  title?: string;
}

/** The self-contained HTML report of a results JSON (an audit results.json or a single command's result). */
export function renderReport(results: unknown, options: RenderOptions = {}): string {
  const view = toReportView(results);
  const title = options.title ?? `Robustness report${view.meta.model ? `: ${view.meta.model}` : ''}`;
  const charts: Chart[] = [];
  const sections = [
    scorecard(view),
    warningsSection(view),
    robustnessSection(view, charts),
    certifiedSection(view, charts),
    corruptionSection(view, charts),
    stabilitySection(view, charts),
    oodSection(view, charts),
    calibrationSection(view, charts),
    sensitivitySection(view, charts),
    explanationsSection(view, charts),
    gallerySection(view),
    sweepSection(view, charts),
    methodsSection(view),
  ].filter((s): s is Section => s !== null);
  const compiled = charts.map((c) => ({ id: c.id, spec: compileChart(c) }));
  const toc = `<nav class="toc" aria-label="Sections"><ul>${sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('')}</ul></nav>`;
  const body = sections.map((s) => `<section id="${s.id}" aria-labelledby="${s.id}-h"><h2 id="${s.id}-h">${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'">
<title>${escapeHtml(title)}</title>
<style>${reportCss}</style>
</head>
<body>
${header(view, title)}
${toc}
<main>
${body}
</main>
<footer>Generated by ${escapeHtml(view.meta.tool)}${view.meta.version ? ` ${escapeHtml(view.meta.version)}` : ''} from the results JSON; this page is self-contained and makes no network request.</footer>
<script>${vegaRuntimeSource().replace(/<\/script/gi, '<\\/script')}</script>
<script type="application/json" id="rampart-charts">${scriptJson(compiled)}</script>
<script>${bootScript}</script>
</body>
</html>
`;
}
