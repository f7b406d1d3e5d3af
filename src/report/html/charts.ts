/**
 * Vega-Lite specifications of the report's charts, one builder per chart, each a pure function of the report
 * view. `compileChart` turns a Vega-Lite spec into the Vega spec the inlined runtime draws (compiled here in
 * Node, so the page needs only the Vega runtime).
 *
 * @example
 * const chart = robustnessChart('linf', view.robustness!);
 * compileChart(chart); // a Vega spec with the data inlined
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CertifiedPoint, ExplanationsView, ReliabilityPoint, ReportView, SensitivityView, WorstCasePoint } from './view.js';

/** A chart of the report: where it goes, what it shows (for screen readers), its Vega-Lite spec. */
export interface Chart {
  id: string;
  title: string;
  description: string;
  spec: TopLevelSpec;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** Shared look: system fonts only (no web font is ever fetched), colour-blind-safe palette. */
export const chartConfig = {
  font: FONT,
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e7eb' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
  range: { category: ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'] },
  view: { stroke: '#d1d5db' },
};

const WIDTH = 420;
const HEIGHT = 260;
const pct = { format: '.0%' } as const;

function base(description: string): Pick<TopLevelSpec, '$schema' | 'description' | 'config'> {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', description, config: chartConfig };
}

/** Robust accuracy vs ε for each attack of one norm, with the per-sample worst case over attacks in black. */
export function robustnessChart(norm: string, robustness: NonNullable<ReportView['robustness']>): Chart {
  const rows = [
    ...robustness.points.filter((p) => p.norm === norm).map((p) => ({ series: p.attack, epsilon: p.epsilon, value: p.robustAccuracy, worst: false })),
    ...robustness.worstCase.filter((w) => w.norm === norm).map((w) => ({ series: 'worst case', epsilon: w.epsilon, value: w.robustAccuracy, worst: true })),
  ];
  const attacks = [...new Set(rows.filter((r) => !r.worst).map((r) => r.series))];
  const description = `Robust accuracy against ε (${norm}) per attack and the worst case over attacks.`;
  return {
    id: `robustness-${norm}`,
    title: `Accuracy vs ε (${norm})`,
    description,
    spec: {
      ...base(description),
      width: WIDTH,
      height: HEIGHT,
      data: { values: rows },
      encoding: {
        x: { field: 'epsilon', type: 'quantitative', title: `ε (${norm})` },
        y: { field: 'value', type: 'quantitative', title: 'robust accuracy', scale: { domain: [0, 1] }, axis: pct },
        color: { field: 'series', type: 'nominal', title: 'attack', legend: { symbolOpacity: 1, symbolStrokeWidth: 2 }, scale: { domain: [...attacks, 'worst case'], range: [...chartConfig.range.category.slice(0, attacks.length), '#111827'] } },
      },
      layer: [
        // The worst case first, wide and translucent, so an attack that coincides with it stays visible on top.
        { transform: [{ filter: 'datum.worst' }], mark: { type: 'line', point: { filled: true, size: 70, opacity: 0.45 }, tooltip: true, strokeWidth: 6, opacity: 0.35 } },
        { transform: [{ filter: '!datum.worst' }], mark: { type: 'line', point: true, tooltip: true, strokeWidth: 1.75 } },
      ],
    },
  };
}

/** Certified accuracy per method vs the empirical (attacked) worst case, for one norm. */
export function certifiedChart(norm: string, certified: CertifiedPoint[], worstCase: WorstCasePoint[]): Chart {
  const rows = [
    ...certified.filter((c) => c.norm === norm).map((c) => ({ series: `certified: ${c.method}`, kind: 'certified (lower bound)', epsilon: c.epsilon, value: c.certifiedAccuracy })),
    ...worstCase.filter((w) => w.norm === norm).map((w) => ({ series: 'empirical: worst attack', kind: 'empirical (upper bound)', epsilon: w.epsilon, value: w.robustAccuracy })),
  ];
  const description = `Certified accuracy (a lower bound on robust accuracy) and empirical robust accuracy under attack (an upper bound), ${norm}.`;
  return {
    id: `certified-${norm}`,
    title: `Certified vs empirical (${norm})`,
    description,
    spec: {
      ...base(description),
      width: WIDTH,
      height: HEIGHT,
      data: { values: rows },
      mark: { type: 'line', point: true, tooltip: true },
      encoding: {
        x: { field: 'epsilon', type: 'quantitative', title: `ε / radius (${norm})` },
        y: { field: 'value', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: pct },
        color: { field: 'series', type: 'nominal', title: 'curve' },
        strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['certified (lower bound)', 'empirical (upper bound)'], range: [[1, 0], [6, 3]] } },
      },
    },
  };
}

/** Accuracy per corruption × severity as a heatmap with the value in each cell. */
export function corruptionHeatmap(corruption: NonNullable<ReportView['corruption']>): Chart {
  const rows = corruption.cells.map((c) => ({ ...c, label: `${Math.round(c.accuracy * 100)}%` }));
  const corruptions = [...new Set(rows.map((r) => r.corruption))];
  const description = 'Accuracy for each corruption and severity; darker is less accurate.';
  return {
    id: 'corruption-heatmap',
    title: 'Corruption × severity',
    description,
    spec: {
      ...base(description),
      width: 260,
      height: Math.max(120, corruptions.length * 20),
      data: { values: rows },
      encoding: {
        x: { field: 'severity', type: 'ordinal', title: 'severity', axis: { labelAngle: 0 } },
        y: { field: 'corruption', type: 'nominal', title: null, sort: corruptions },
      },
      layer: [
        {
          mark: { type: 'rect', tooltip: true },
          encoding: { color: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { scheme: 'viridis', domain: [0, 1] }, legend: { format: '.0%' } } },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            text: { field: 'label', type: 'nominal' },
            color: { condition: { test: 'datum.accuracy > 0.6', value: '#111827' }, value: 'white' },
          },
        },
      ],
    },
  };
}

/** Mean error per corruption family. */
export function familyBars(corruption: NonNullable<ReportView['corruption']>): Chart {
  const description = 'Mean error per corruption family (lower is better).';
  return {
    id: 'corruption-families',
    title: 'Error per corruption family',
    description,
    spec: {
      ...base(description),
      width: 300,
      height: Math.max(100, corruption.families.length * 24),
      data: { values: corruption.families },
      mark: { type: 'bar', tooltip: true, color: '#D55E00' },
      encoding: {
        y: { field: 'family', type: 'nominal', title: null, sort: '-x' },
        x: { field: 'meanError', type: 'quantitative', title: 'mean error', axis: pct, scale: { domain: [0, 1] } },
      },
    },
  };
}

/** Flip probability per perturbation sequence. */
export function stabilityChart(stability: NonNullable<ReportView['stability']>): Chart {
  const description = 'Probability that the prediction flips between consecutive frames of a perturbation sequence (lower is more stable).';
  return {
    id: 'stability',
    title: 'Stability: flip probability',
    description,
    spec: {
      ...base(description),
      width: 300,
      height: Math.max(100, stability.sequences.length * 24),
      data: { values: stability.sequences },
      mark: { type: 'bar', tooltip: true, color: '#0072B2' },
      encoding: {
        y: { field: 'sequence', type: 'nominal', title: null, sort: '-x' },
        x: { field: 'flipProbability', type: 'quantitative', title: 'flip probability', axis: { format: '.2%' } },
      },
    },
  };
}

/** ROC curves of the OOD scores for one OOD set (or AUROC bars when the result has no curve points). */
export function oodChart(set: string, ood: NonNullable<ReportView['ood']>): Chart {
  const entries = ood.entries.filter((e) => e.set === set);
  const withCurves = entries.filter((e) => e.roc);
  if (withCurves.length > 0) {
    const rows = withCurves.flatMap((e) => e.roc!.map((p, i) => ({ score: `${e.score} (AUROC ${e.auroc.toFixed(3)})`, fpr: p.fpr, tpr: p.tpr, order: i })));
    const description = `ROC curves of the OOD detection scores, in-distribution vs ${set}; the diagonal is chance.`;
    return {
      id: `ood-${set}`,
      title: `OOD ROC: ${set}`,
      description,
      spec: {
        ...base(description),
        width: 300,
        height: 300,
        layer: [
          {
            data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
            mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 4] },
            encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
          },
          {
            data: { values: rows },
            mark: { type: 'line', tooltip: true },
            encoding: {
              x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
              y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
              color: { field: 'score', type: 'nominal', title: 'score' },
              order: { field: 'order', type: 'quantitative' },
            },
          },
        ],
      },
    };
  }
  const description = `AUROC of each OOD detection score, in-distribution vs ${set} (0.5 is chance).`;
  return {
    id: `ood-${set}`,
    title: `OOD AUROC: ${set}`,
    description,
    spec: {
      ...base(description),
      width: 300,
      height: Math.max(80, entries.length * 26),
      data: { values: entries.map((e) => ({ score: e.score, auroc: e.auroc })) },
      mark: { type: 'bar', tooltip: true, color: '#009E73' },
      encoding: {
        y: { field: 'score', type: 'nominal', title: null },
        x: { field: 'auroc', type: 'quantitative', title: 'AUROC', scale: { domain: [0, 1] } },
      },
    },
  };
}

/** Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration. */
export function reliabilityChart(bins: ReliabilityPoint[], calibratedBins: ReliabilityPoint[] | null): Chart {
  const rows = [
    ...bins.filter((b) => b.count > 0).map((b) => ({ zero: 0, model: 'raw', lower: b.lower, upper: b.upper, accuracy: b.accuracy, confidence: b.confidence, count: b.count })),
    ...(calibratedBins ?? []).filter((b) => b.count > 0).map((b) => ({ zero: 0, model: 'temperature-scaled', lower: b.lower, upper: b.upper, accuracy: b.accuracy, confidence: b.confidence, count: b.count })),
  ];
  const description = 'Reliability diagram: accuracy of the samples in each confidence bin; a calibrated model follows the diagonal.';
  return {
    id: 'reliability',
    title: 'Reliability diagram',
    description,
    spec: {
      ...base(description),
      width: 320,
      height: 320,
      layer: [
        {
          data: { values: rows.filter((r) => r.model === 'raw') },
          mark: { type: 'rect', tooltip: true, opacity: 0.75, color: '#56B4E9', stroke: 'white' },
          encoding: {
            x: { field: 'lower', type: 'quantitative', title: 'confidence', scale: { domain: [0, 1] } },
            x2: { field: 'upper' },
            y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
            y2: { field: 'zero' },
          },
        },
        {
          data: { values: [{ v: 0 }, { v: 1 }] },
          mark: { type: 'line', color: '#6b7280', strokeDash: [4, 4] },
          encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } },
        },
        {
          data: { values: rows },
          mark: { type: 'line', point: true, tooltip: true },
          encoding: {
            x: { field: 'confidence', type: 'quantitative' },
            y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
            color: { field: 'model', type: 'nominal', title: 'model', scale: { domain: ['raw', 'temperature-scaled'], range: ['#0072B2', '#E69F00'] } },
          },
        },
      ],
    },
  };
}

/** Clean vs robust accuracy of every configuration of a sweep, the Pareto front joined by a line. */
export function paretoChart(sweep: NonNullable<ReportView['sweep']>): Chart {
  // Points are tagged #1, #2, ... (their row in the data table): full configuration labels overlap on the chart.
  const rows = sweep.points.map((p, i) => ({ ...p, config: undefined, tag: `#${i + 1}`, front: p.pareto ? 'Pareto front' : 'dominated' }));
  const front = rows.filter((r) => r.pareto).sort((a, b) => a.cleanAccuracy - b.cleanAccuracy);
  const description = 'Clean against robust accuracy of each configuration of the sweep; the Pareto-optimal configurations are joined.';
  return {
    id: 'pareto',
    title: 'Sweep: clean vs robust accuracy',
    description,
    spec: {
      ...base(description),
      width: WIDTH,
      height: HEIGHT + 40,
      layer: [
        {
          data: { values: front },
          mark: { type: 'line', color: '#D55E00' },
          encoding: { x: { field: 'cleanAccuracy', type: 'quantitative' }, y: { field: 'robustAccuracy', type: 'quantitative' } },
        },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 80, tooltip: true },
          encoding: {
            x: { field: 'cleanAccuracy', type: 'quantitative', title: 'clean accuracy', axis: { format: '.1%' }, scale: { zero: false } },
            y: { field: 'robustAccuracy', type: 'quantitative', title: 'robust accuracy', axis: { format: '.0%' }, scale: { zero: false } },
            color: { field: 'front', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['#D55E00', '#9ca3af'] } },
            shape: { field: 'front', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['diamond', 'circle'] } },
            tooltip: [{ field: 'tag', type: 'nominal', title: '#' }, { field: 'label', type: 'nominal', title: 'configuration' }, { field: 'cleanAccuracy', type: 'quantitative', format: '.2%' }, { field: 'robustAccuracy', type: 'quantitative', format: '.2%' }],
          },
        },
        {
          data: { values: front },
          mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 11 },
          encoding: { x: { field: 'cleanAccuracy', type: 'quantitative' }, y: { field: 'robustAccuracy', type: 'quantitative' }, text: { field: 'tag', type: 'nominal' } },
        },
      ],
    },
  };
}

/** Accuracy drop per occluded patch (or per pixel), laid out over the image: the occlusion heatmap. */
export function sensitivityHeatmap(sensitivity: SensitivityView): Chart {
  const map = sensitivity.heatmap!;
  const rows = map.accuracyDrop.flatMap((line, r) => line.map((drop, c) => ({ row: r, col: c, accuracyDrop: drop, outputVariance: map.outputVariance[r]?.[c] ?? null })));
  const unit = sensitivity.mode === 'occlusion' ? 'patch' : 'pixel';
  const description = `Accuracy drop when each ${unit} of the image is ${sensitivity.mode === 'occlusion' ? 'occluded' : 'nudged'}, laid out as the image; darker is more important to the model.`;
  const cell = Math.max(6, Math.min(40, Math.floor(280 / Math.max(map.rows, map.cols))));
  const largest = Math.max(1e-9, ...rows.map((r) => r.accuracyDrop));
  return {
    id: 'sensitivity-heatmap',
    title: `Sensitivity: accuracy drop per ${unit}`,
    description,
    spec: {
      ...base(description),
      width: cell * map.cols,
      height: cell * map.rows,
      data: { values: rows },
      mark: { type: 'rect', tooltip: true },
      encoding: {
        x: { field: 'col', type: 'ordinal', title: `${unit} column`, axis: map.cols > 10 ? { labels: false, ticks: false } : { labelAngle: 0 } },
        y: { field: 'row', type: 'ordinal', title: `${unit} row`, axis: map.rows > 10 ? { labels: false, ticks: false } : {} },
        color: { field: 'accuracyDrop', type: 'quantitative', title: 'accuracy drop', scale: { scheme: 'orangered', domain: [0, largest], clamp: true }, legend: { format: '.1%' } },
        tooltip: [
          { field: 'row', type: 'ordinal' },
          { field: 'col', type: 'ordinal' },
          { field: 'accuracyDrop', type: 'quantitative', format: '.2%', title: 'accuracy drop' },
          { field: 'outputVariance', type: 'quantitative', format: '.2e', title: 'output variance' },
        ],
      },
    },
  };
}

/** The most sensitive features (tabular data): accuracy drop per feature, ranked. */
export function sensitivityBars(sensitivity: SensitivityView): Chart {
  const description = `Accuracy drop when each feature is nudged by ±${sensitivity.settings.amount ?? '?'}, most sensitive first.`;
  return {
    id: 'sensitivity-ranking',
    title: 'Sensitivity: most sensitive features',
    description,
    spec: {
      ...base(description),
      width: 300,
      height: Math.max(80, sensitivity.ranking.length * 18),
      data: { values: sensitivity.ranking },
      mark: { type: 'bar', tooltip: true, color: '#D55E00' },
      encoding: {
        y: { field: 'name', type: 'nominal', title: null, sort: { field: 'accuracyDrop', order: 'descending' } },
        x: { field: 'accuracyDrop', type: 'quantitative', title: 'accuracy drop', axis: { format: '.1%' } },
      },
    },
  };
}

/** How far each method's saliency maps move from the clean ones on adversarial and corrupted inputs. */
export function saliencySimilarityChart(explanations: ExplanationsView): Chart {
  const rows = explanations.similarity.filter((s) => s.meanSimilarityToClean !== null).map((s) => ({ method: s.method, variant: s.variant, similarity: s.meanSimilarityToClean }));
  const description = 'Mean cosine similarity of the saliency maps of adversarial and corrupted inputs to those of the clean inputs, per attribution method (1 = unchanged).';
  return {
    id: 'saliency-similarity',
    title: 'Saliency similarity to clean',
    description,
    spec: {
      ...base(description),
      width: 300,
      height: Math.max(80, rows.length * 22),
      data: { values: rows },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'method', type: 'nominal', title: null },
        yOffset: { field: 'variant', type: 'nominal' },
        x: { field: 'similarity', type: 'quantitative', title: 'cosine similarity to clean', scale: { domain: [0, 1] } },
        color: { field: 'variant', type: 'nominal', title: 'variant', scale: { domain: ['adversarial', 'corrupted'], range: ['#D55E00', '#0072B2'] } },
      },
    },
  };
}

/** Compiles a Vega-Lite spec to a Vega spec (in Node; the page only runs Vega). */
export function compileChart(chart: Chart): unknown {
  const warnings: string[] = [];
  const collect = (...parts: unknown[]) => {
    warnings.push(parts.map(String).join(' '));
    return logger;
  };
  // vega-lite's logger interface: collect its notes instead of printing them to the console.
  const logger = { level: () => 0, error: collect, warn: collect, info: collect, debug: collect } as unknown as Parameters<typeof compile>[1] extends infer O ? (O extends { logger?: infer L } ? L : never) : never;
  // The $schema URL is an identifier, not a request; leave it out so the page names no remote address at all.
  const { $schema: _schema, ...spec } = compile(chart.spec, { logger }).spec;
  return spec;
}
