/**
 * The report view: what the HTML report, the gates and `rampart compare` read from a results JSON, in one
 * normalised shape. `toReportView(results)` recognises the sections of a result by their shape (the fields each
 * Rampart command writes: an attack report has `attacks[].results[]` and `worstCase[]`, a corruption benchmark
 * `corruptions[].severities[]`, ...), wherever they sit in the file, so it reads the `rampart audit`
 * results.json as well as the result of a single command (`attack`, `corruptions`, `ood`, `calibration`,
 * `sweep`). Nothing here computes a metric: values are copied, never derived (except an OOD set's short name).
 *
 * @example
 * const view = toReportView(JSON.parse(fs.readFileSync('results.json', 'utf8')));
 * view.robustness?.worstCase; // [{ norm: 'linf', epsilon: 0.1, robustAccuracy: 0.57, ... }, ...]
 */

import type { AuditResults, SectionResult } from '../audit/results.js';

/** An image in a result: a PNG data URI / base64 PNG, or float pixels in [0, 1] laid out HWC. */
export type ImageRef = string | { shape: number[]; values: number[] };

export interface RobustnessPoint {
  attack: string;
  norm: string;
  epsilon: number;
  robustAccuracy: number;
  attackSuccessRate: number | null;
  invalid: number;
}
export interface WorstCasePoint {
  norm: string;
  epsilon: number;
  robustAccuracy: number;
  attackSuccessRate: number | null;
}
export interface CertifiedPoint {
  method: string;
  norm: string;
  epsilon: number;
  certifiedAccuracy: number;
  abstained: number | null;
}
export interface CorruptionCell {
  corruption: string;
  family: string;
  severity: number;
  accuracy: number;
  error: number;
}
export interface SequenceFlip {
  sequence: string;
  flipProbability: number;
  flipRate: number | null;
}
export interface OodEntry {
  set: string;
  spec: string;
  score: string;
  auroc: number;
  auprIn: number | null;
  auprOut: number | null;
  fprAt95Tpr: number | null;
  roc: { fpr: number; tpr: number }[] | null;
  /** The score the result names as primary (the audit's primaryScore; msp for single command results). */
  primary: boolean;
}
export interface ReliabilityPoint {
  lower: number;
  upper: number;
  count: number;
  confidence: number | null;
  accuracy: number | null;
}
export interface GalleryItem {
  kind: string;
  caption: string;
  label: number | string | null;
  original: ImageRef;
  perturbed: ImageRef;
  difference: ImageRef | null;
  /** Amplification of a difference image given by the result (null: computed here, or unknown). */
  differenceFactor: number | null;
  originalPrediction: number | string | null;
  originalConfidence: number | null;
  perturbedPrediction: number | string | null;
  perturbedConfidence: number | null;
}
export interface ReportWarning {
  section: string;
  message: string;
}
export interface SweepPoint {
  label: string;
  config: unknown;
  cleanAccuracy: number;
  robustAccuracy: number;
  pareto: boolean;
}
export interface SensitivityView {
  section: string;
  mode: 'features' | 'occlusion';
  settings: { amount?: number; patch?: number; stride?: number; fill?: number | 'mean' };
  count: number;
  cleanAccuracy: number;
  units: number;
  ranking: { unit: number; name: string; accuracyDrop: number; outputVariance: number; meanProbabilityChange: number }[];
  heatmap: { rows: number; cols: number; accuracyDrop: number[][]; outputVariance: number[][] } | null;
  parameters: {
    runs: number;
    resample: string;
    train: string;
    trainCount: number;
    accuracy: { mean: number; std: number; min: number; max: number };
    meanPairwiseFlipRate: number;
    maxPairwiseFlipRate: number;
    unstableFraction: number;
    weights: { layer: string; parameters: number; relativeStd: number; meanPairwiseRelativeDistance: number }[];
  } | null;
}
export interface SaliencyCell {
  method: string;
  image: ImageRef | null;
  similarityToClean: number | null;
  completenessGap: number | null;
}
export interface SaliencyExample {
  sampleIndex: number;
  label: number;
  variants: { name: string; description: string; predicted: number; attackSuccess: boolean | null; input: ImageRef | null; saliency: SaliencyCell[] }[];
}
export interface ExplanationsView {
  section: string;
  methods: { id: string; title: string }[];
  /** Mean similarity of each variant's saliency maps to the clean ones, per method (null for clean). */
  similarity: { method: string; variant: string; meanSimilarityToClean: number | null; meanCompletenessGap: number | null }[];
  variants: { name: string; description: string; accuracy: number; attackSuccessRate: number | null }[];
  examples: SaliencyExample[];
}
/** Which method and parameters produced a section's numbers. */
export interface MethodNote {
  section: string;
  method: string;
  params: unknown;
}

export interface ReportView {
  meta: {
    tool: string;
    version: string | null;
    command: string | null;
    model: string | null;
    modelSha256: string | null;
    data: string | null;
    count: number | null;
    seed: number | null;
    seconds: number | null;
    createdAt: string | null;
  };
  clean: { accuracy: number; count: number | null } | null;
  robustness: { points: RobustnessPoint[]; worstCase: WorstCasePoint[] } | null;
  certified: { points: CertifiedPoint[] } | null;
  corruption: {
    suite: string | null;
    cells: CorruptionCell[];
    corruptionMeans: { corruption: string; family: string; meanAccuracy: number; ce: number | null }[];
    families: { family: string; meanError: number }[];
    meanAccuracy: number;
    meanError: number;
    mCE: number | null;
    relativeMCE: number | null;
  } | null;
  stability: { sequences: SequenceFlip[]; meanFlipProbability: number | null; mFR: number | null } | null;
  ood: { entries: OodEntry[] } | null;
  calibration: {
    accuracy: number | null;
    ece: number;
    mce: number | null;
    brier: number | null;
    nll: number | null;
    bins: ReliabilityPoint[];
    temperature: number | null;
    calibratedEce: number | null;
    calibratedBins: ReliabilityPoint[] | null;
  } | null;
  gallery: GalleryItem[];
  warnings: ReportWarning[];
  /** Sensitivity analysis (first sensitivity section): ranked units, heatmap, parameter variability. */
  sensitivity?: SensitivityView | null;
  /** Saliency explanations (first explanations section): similarity to clean and the saliency gallery. */
  explanations?: ExplanationsView | null;
  /** Validity checks of the evaluation (gradient masking, binarization, ...), with their outcome. */
  validity: { id: string; title: string; outcome: string; message: string }[];
  /** evaluation: how robust accuracy was measured, e.g. "pgd, linf ε = 0.1" (null when the result does not say). */
  sweep: { points: SweepPoint[]; evaluation: string | null } | null;
  methods: MethodNote[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const objects = (v: unknown): Json[] => arr(v).filter(isObject);

// ---------------------------------------------------------------------------------------------------------------
// Shape recognisers
// ---------------------------------------------------------------------------------------------------------------

const isAttackReport = (o: Json) => objects(o.attacks).some((a) => Array.isArray(a.results)) || (Array.isArray(o.worstCase) && objects(o.worstCase).some((w) => num(w.robustAccuracy) !== null && str(w.norm) !== null));
const isCorruptionBenchmark = (o: Json) => objects(o.corruptions).some((c) => Array.isArray(c.severities));
const isStability = (o: Json) => objects(o.sequences).some((s) => num(s.flipProbability) !== null);
const isCalibration = (o: Json) => isObject(o.uncalibrated) || (num(o.ece) !== null && Array.isArray(o.reliability));
const isOod = (o: Json) => isObject(o.scores) && Object.values(o.scores).some((s) => isObject(s) && num(s.auroc) !== null);
const isCertifiedList = (v: unknown) => objects(v).some((r) => num(r.certifiedAccuracy) !== null);
const isSweep = (o: Json) => objects(o.points).some((p) => num(p.cleanAccuracy) !== null && num(p.robustAccuracy) !== null);

interface Found {
  attacks: Json[];
  corruptions: Json[];
  stability: Json[];
  calibration: Json[];
  ood: { node: Json; key: string }[];
  certified: { rows: Json[]; context: Json[]; key: string }[];
  sweeps: Json[];
  gallery: Json[];
  warnings: { section: string; value: unknown }[];
}

/** Walks the result tree, collecting the sections it recognises (not descending into a recognised section). */
function walk(node: unknown, found: Found, ancestors: Json[], key: string): void {
  if (Array.isArray(node)) {
    if (isCertifiedList(node)) {
      found.certified.push({ rows: objects(node), context: ancestors, key });
      return;
    }
    for (const item of node) walk(item, found, ancestors, key);
    return;
  }
  if (!isObject(node)) return;
  if (isAttackReport(node)) found.attacks.push(node);
  else if (isCorruptionBenchmark(node)) {
    found.corruptions.push(node);
    if (isObject(node.stability)) walk(node.stability, found, [...ancestors, node], 'stability');
  } else if (isStability(node)) found.stability.push(node);
  else if (isCalibration(node)) found.calibration.push(node);
  else if (isOod(node)) found.ood.push({ node, key });
  else if (isSweep(node)) found.sweeps.push(node);
  else {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'gallery' || k === 'examples') {
        found.gallery.push(...objects(v).filter((g) => g.original !== undefined && (g.perturbed !== undefined || g.adversarial !== undefined || g.corrupted !== undefined)));
        continue;
      }
      if (k === 'warnings') {
        found.warnings.push({ section: key || 'audit', value: v });
        continue;
      }
      walk(v, found, [...ancestors, node], k);
    }
    return;
  }
  // Warnings attached to a recognised section.
  if (node.warnings !== undefined) found.warnings.push({ section: key || 'result', value: node.warnings });
}

// ---------------------------------------------------------------------------------------------------------------
// Section readers
// ---------------------------------------------------------------------------------------------------------------

function readRobustness(reports: Json[], methods: MethodNote[], warnings: ReportWarning[]): ReportView['robustness'] {
  if (reports.length === 0) return null;
  const points: RobustnessPoint[] = [];
  const worstCase: WorstCasePoint[] = [];
  for (const report of reports) {
    const threatNorm = isObject(report.threat) ? str(report.threat.norm) : null;
    for (const attack of objects(report.attacks)) {
      const id = str(attack.id) ?? 'attack';
      const norm = str(attack.norm) ?? threatNorm ?? '?';
      methods.push({ section: `robustness (${norm})`, method: id, params: attack.params ?? null });
      for (const r of objects(attack.results)) {
        const epsilon = num(r.epsilon);
        const robust = num(r.robustAccuracy);
        if (epsilon === null || robust === null) continue;
        const invalid = num(r.invalid) ?? 0;
        points.push({ attack: id, norm, epsilon, robustAccuracy: robust, attackSuccessRate: num(r.attackSuccessRate), invalid });
        if (invalid > 0) warnings.push({ section: 'robustness', message: `${id} (${norm}, ε = ${epsilon}): ${invalid} invalid proposals rejected by the harness (counted as failures).` });
      }
    }
    for (const w of objects(report.worstCase)) {
      const epsilon = num(w.epsilon);
      const robust = num(w.robustAccuracy);
      const norm = str(w.norm) ?? threatNorm;
      if (epsilon === null || robust === null || norm === null) continue;
      worstCase.push({ norm, epsilon, robustAccuracy: robust, attackSuccessRate: num(w.attackSuccessRate) });
    }
  }
  return points.length || worstCase.length ? { points, worstCase } : null;
}

function readCertified(found: Found['certified'], methods: MethodNote[]): ReportView['certified'] {
  const points: CertifiedPoint[] = [];
  for (const { rows, context, key } of found) {
    const owner = context[context.length - 1] ?? {};
    const method = str(owner.method) ?? str(owner.id) ?? str(owner.name) ?? key;
    const norm = str(owner.norm) ?? (isObject(owner.threat) ? str(owner.threat.norm) : null) ?? 'l2';
    if (owner.params !== undefined) methods.push({ section: 'certification', method, params: owner.params });
    for (const r of rows) {
      const epsilon = num(r.epsilon) ?? num(r.radius);
      const certified = num(r.certifiedAccuracy);
      if (epsilon === null || certified === null) continue;
      points.push({ method: str(r.method) ?? method, norm: str(r.norm) ?? norm, epsilon, certifiedAccuracy: certified, abstained: num(r.abstained) ?? num(r.abstentionRate) });
    }
  }
  return points.length ? { points } : null;
}

function readCorruption(benchmarks: Json[], methods: MethodNote[]): ReportView['corruption'] {
  const b = benchmarks[0];
  if (!b) return null;
  const cells: CorruptionCell[] = [];
  const corruptionMeans: NonNullable<ReportView['corruption']>['corruptionMeans'] = [];
  for (const c of objects(b.corruptions)) {
    const id = str(c.id) ?? '?';
    if (id === 'identity') continue;
    const family = str(c.family) ?? '';
    for (const s of objects(c.severities)) {
      const severity = num(s.severity);
      const accuracy = num(s.accuracy);
      if (severity === null || accuracy === null) continue;
      cells.push({ corruption: id, family, severity, accuracy, error: num(s.error) ?? 1 - accuracy });
    }
    const meanAccuracy = num(c.meanAccuracy);
    if (meanAccuracy !== null) corruptionMeans.push({ corruption: id, family, meanAccuracy, ce: num(c.ce) });
  }
  methods.push({ section: 'corruptions', method: str(b.suite) ?? 'corruption benchmark', params: { seed: b.seed ?? null, baseline: b.baseline ?? b.baselineSpec ?? null, definitions: b.definitions ?? null } });
  return {
    suite: str(b.suite),
    cells,
    corruptionMeans,
    families: objects(b.families).flatMap((f) => (str(f.family) !== null && num(f.meanError) !== null ? [{ family: f.family as string, meanError: f.meanError as number }] : [])),
    meanAccuracy: num(b.meanAccuracy) ?? 0,
    meanError: num(b.meanError) ?? 0,
    mCE: num(b.mCE),
    relativeMCE: num(b.relativeMCE),
  };
}

function readStability(found: Json[], methods: MethodNote[]): ReportView['stability'] {
  const s = found[0];
  if (!s) return null;
  if (s.method !== undefined) methods.push({ section: 'stability', method: String(s.method), params: { frames: s.frames ?? null, count: s.count ?? null } });
  return {
    sequences: objects(s.sequences).flatMap((q) => (num(q.flipProbability) === null ? [] : [{ sequence: str(q.id) ?? '?', flipProbability: q.flipProbability as number, flipRate: num(q.flipRate) }])),
    meanFlipProbability: num(s.meanFlipProbability),
    mFR: num(s.mFR),
  };
}

/** "fashion-mnist:test" → "fashion-mnist", "noise: clip(...)" → "noise". */
export function oodSetName(spec: string): string {
  const head = spec.split(':')[0].trim();
  return head || spec;
}

function readOod(found: Found['ood'], methods: MethodNote[]): ReportView['ood'] {
  const entries: OodEntry[] = [];
  for (const { node, key } of found) {
    const oodInfo = isObject(node.ood) ? node.ood : {};
    const spec = str(node.set) ?? str(node.name) ?? str(oodInfo.spec) ?? str(node.spec) ?? key;
    const set = str(node.set) ?? str(node.name) ?? oodSetName(spec);
    if (node.method !== undefined) methods.push({ section: `ood (${set})`, method: String(node.method), params: node.params ?? null });
    const curves = isObject(node.roc) ? node.roc : {};
    for (const [score, m] of Object.entries(node.scores as Json)) {
      if (!isObject(m) || num(m.auroc) === null) continue;
      const rocSource = Array.isArray(m.roc) ? m.roc : curves[score];
      const roc = objects(rocSource).flatMap((p) => (num(p.fpr) !== null && num(p.tpr) !== null ? [{ fpr: p.fpr as number, tpr: p.tpr as number }] : []));
      entries.push({ set, spec, score, auroc: m.auroc as number, auprIn: num(m.auprIn), auprOut: num(m.auprOut), fprAt95Tpr: num(m.fprAt95Tpr), roc: roc.length ? roc : null, primary: score === 'msp' });
    }
  }
  return entries.length ? { entries } : null;
}

function reliability(v: unknown): ReliabilityPoint[] {
  return objects(v).flatMap((b) =>
    num(b.lower) === null || num(b.upper) === null ? [] : [{ lower: b.lower as number, upper: b.upper as number, count: num(b.count) ?? 0, confidence: num(b.confidence), accuracy: num(b.accuracy) }],
  );
}

function readCalibration(found: Json[], methods: MethodNote[]): ReportView['calibration'] {
  const c = found[0];
  if (!c) return null;
  const raw = isObject(c.uncalibrated) ? c.uncalibrated : c;
  const calibrated = isObject(c.calibrated) ? c.calibrated : null;
  const ece = num(raw.ece);
  if (ece === null) return null;
  methods.push({ section: 'calibration', method: 'ECE (equal-width bins), temperature scaling', params: { bins: raw.bins ?? null, split: c.split ?? null } });
  return {
    accuracy: num(raw.accuracy),
    ece,
    mce: num(raw.mce),
    brier: num(raw.brier),
    nll: num(raw.nll),
    bins: reliability(raw.reliability),
    temperature: num(c.temperature),
    calibratedEce: calibrated ? num(calibrated.ece) : null,
    calibratedBins: calibrated ? reliability(calibrated.reliability) : null,
  };
}

const labelOf = (v: unknown): number | string | null => (typeof v === 'number' || typeof v === 'string' ? v : null);

function imageRef(v: unknown): ImageRef | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && Array.isArray(v.shape) && Array.isArray(v.values)) return { shape: v.shape.map(Number), values: v.values.map(Number) };
  if (isObject(v) && v.image !== undefined) return imageRef(v.image);
  return null;
}

function readGallery(items: Json[]): GalleryItem[] {
  const out: GalleryItem[] = [];
  for (const g of items) {
    const original = imageRef(g.original);
    const perturbed = imageRef(g.perturbed ?? g.adversarial ?? g.corrupted);
    if (!original || !perturbed) continue;
    const before = isObject(g.originalPrediction) ? g.originalPrediction : isObject(g.clean) ? g.clean : {};
    const after = isObject(g.perturbedPrediction) ? g.perturbedPrediction : {};
    out.push({
      kind: str(g.kind) ?? (g.corrupted !== undefined ? 'corrupted' : 'adversarial'),
      caption: str(g.caption) ?? str(g.title) ?? str(g.method) ?? '',
      label: labelOf(g.label),
      original,
      perturbed,
      difference: imageRef(g.difference),
      differenceFactor: num(g.amplification),
      originalPrediction: labelOf(before.label ?? before.class ?? g.originalPrediction),
      originalConfidence: num(before.confidence) ?? num(g.originalConfidence),
      perturbedPrediction: labelOf(after.label ?? after.class ?? g.perturbedPrediction),
      perturbedConfidence: num(after.confidence) ?? num(g.perturbedConfidence),
    });
  }
  return out;
}

function readWarnings(found: Found['warnings']): ReportWarning[] {
  const out: ReportWarning[] = [];
  for (const { section, value } of found) {
    for (const w of arr(value)) {
      if (typeof w === 'string') out.push({ section, message: w });
      else if (isObject(w)) out.push({ section: str(w.section) ?? section, message: str(w.message) ?? str(w.text) ?? JSON.stringify(w) });
    }
  }
  return out;
}

function configLabel(config: unknown, index: number): string {
  if (typeof config === 'string') return config;
  if (isObject(config)) {
    const label = str(config.name) ?? str(config.id) ?? str(config.label);
    if (label) return label;
    return Object.entries(config)
      .filter(([, v]) => typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
  }
  return `config ${index + 1}`;
}

function readSweep(found: Json[]): ReportView['sweep'] {
  const s = found[0];
  if (!s) return null;
  const front = arr(s.front ?? s.paretoFront ?? s.pareto);
  const points = objects(s.points).flatMap((p, i): SweepPoint[] => {
    const clean = num(p.cleanAccuracy);
    const robust = num(p.robustAccuracy);
    if (clean === null || robust === null) return [];
    const onFront =
      p.pareto === true ||
      front.some((f) => f === i || (isObject(f) && JSON.stringify(f.config) === JSON.stringify(p.config) && num(f.cleanAccuracy) === clean && num(f.robustAccuracy) === robust));
    return [{ label: str(p.label) ?? configLabel(p.config, i), config: p.config ?? null, cleanAccuracy: clean, robustAccuracy: robust, pareto: onFront }];
  });
  const e = isObject(s.evaluation) ? s.evaluation : null;
  const evaluation = e && num(e.epsilon) !== null ? `${str(e.attack) ? `${str(e.attack)}, ` : ''}${str(e.norm) ?? ''} ε = ${num(e.epsilon)}${str(e.testData) ? ` on ${str(e.testData)}` : ''}` : null;
  return points.length ? { points, evaluation } : null;
}

function readMeta(root: Json): ReportView['meta'] {
  const tool = isObject(root.tool) ? root.tool : {};
  const model = isObject(root.model) ? root.model : {};
  const data = isObject(root.data) ? root.data : {};
  const timing = isObject(root.timing) ? root.timing : {};
  const manifest = isObject(root.manifest) ? root.manifest : {};
  return {
    tool: str(tool.name) ?? 'rampart',
    version: str(tool.version),
    command: str(root.command) ?? str(manifest.command),
    model: str(model.spec),
    modelSha256: str(model.sha256),
    data: str(data.spec),
    count: num(data.count),
    seed: num(root.seed),
    seconds: num(timing.seconds) ?? num(timing.totalSeconds) ?? num(timing.total),
    createdAt: str(root.createdAt) ?? str(root.timestamp) ?? str(manifest.createdAt) ?? str(manifest.timestamp),
  };
}

function readClean(root: Json, found: Found): ReportView['clean'] {
  const metrics = isObject(root.metrics) ? root.metrics : {};
  const direct = isObject(root.clean) ? root.clean : isObject(metrics.clean) ? metrics.clean : null;
  const fromDirect = direct ? num(direct.accuracy) : null;
  const accuracy = num(root.cleanAccuracy) ?? num(metrics.cleanAccuracy) ?? fromDirect ?? (found.attacks[0] && isObject(found.attacks[0].clean) ? num(found.attacks[0].clean.accuracy) : null);
  if (accuracy === null) return null;
  return { accuracy, count: (direct ? num(direct.count) : null) ?? num(isObject(root.data) ? root.data.count : null) };
}

// ---------------------------------------------------------------------------------------------------------------
// The audit's results.json (src/report/audit/results.ts), read section by section
// ---------------------------------------------------------------------------------------------------------------

const galleryUri = (image: { dataUri?: string } | undefined): ImageRef | null => (image && typeof image.dataUri === 'string' ? image.dataUri : null);

function fromAudit(results: AuditResults): ReportView {
  const m = results.manifest;
  const ordered: SectionResult[] = (results.sectionOrder ?? Object.keys(results.sections ?? {})).map((id) => results.sections[id]).filter((x): x is SectionResult => Boolean(x));
  const methods: MethodNote[] = [];
  const warnings: ReportWarning[] = [];
  const seen = new Set<string>();
  const warn = (section: string, message: string) => {
    if (seen.has(`${section}\u0000${message}`)) return;
    seen.add(`${section}\u0000${message}`);
    warnings.push({ section, message });
  };
  for (const w of results.warnings ?? []) warn(w.section ?? 'audit', w.message);
  const view: ReportView = {
    meta: {
      tool: m?.tool?.name ?? 'rampart',
      version: m?.tool?.version ?? null,
      command: m?.command ?? null,
      model: m?.model?.spec ?? null,
      modelSha256: m?.model?.sha256 ?? null,
      data: m?.data?.spec ?? null,
      count: m?.data?.count ?? null,
      seed: m?.seed ?? null,
      seconds: m?.totalSeconds ?? null,
      createdAt: m?.finishedAt ?? m?.startedAt ?? null,
    },
    clean: null,
    robustness: null,
    certified: null,
    corruption: null,
    stability: null,
    ood: null,
    calibration: null,
    gallery: [],
    warnings,
    validity: [],
    sweep: null,
    methods,
  };
  const robustPoints: RobustnessPoint[] = [];
  const worstCase: WorstCasePoint[] = [];
  const certified: CertifiedPoint[] = [];
  const oodEntries: OodEntry[] = [];
  for (const section of ordered) {
    for (const w of section.warnings ?? []) warn(section.id, w.message);
    if (section.status !== 'ok' || !section.metrics) {
      methods.push({ section: section.id, method: section.method, params: { status: section.status, reason: section.reason ?? null } });
      if (section.status === 'failed') warn(section.id, `section failed: ${section.reason ?? 'no reason given'}`);
      continue;
    }
    methods.push({ section: section.id, method: section.method, params: section.parameters });
    switch (section.type) {
      case 'clean':
        view.clean = { accuracy: section.metrics.cleanAccuracy, count: section.metrics.count };
        break;
      case 'robustness':
        for (const threat of section.metrics.threats) {
          for (const attack of threat.attacks) {
            for (const r of attack.results) {
              robustPoints.push({ attack: attack.id, norm: threat.norm, epsilon: r.epsilon, robustAccuracy: r.robustAccuracy, attackSuccessRate: r.attackSuccessRate, invalid: r.invalid });
            }
          }
          for (const w of threat.worstCase) worstCase.push({ norm: threat.norm, epsilon: w.epsilon, robustAccuracy: w.robustAccuracy, attackSuccessRate: w.attackSuccessRate });
        }
        break;
      case 'corruptions': {
        const c = section.metrics;
        view.corruption = {
          suite: c.suite,
          cells: c.cells.filter((x) => x.corruption !== 'identity').map((x) => ({ corruption: x.corruption, family: x.family, severity: x.severity, accuracy: x.accuracy, error: x.error })),
          corruptionMeans: c.corruptions.filter((x) => x.id !== 'identity').map((x) => ({ corruption: x.id, family: x.family, meanAccuracy: x.meanAccuracy, ce: x.ce })),
          families: c.families.map((f) => ({ family: f.family, meanError: f.meanError })),
          meanAccuracy: c.corruptionAccuracy,
          meanError: c.meanError,
          mCE: c.mCE,
          relativeMCE: c.relativeMCE,
        };
        break;
      }
      case 'ood':
        for (const set of section.metrics.sets) {
          if (set.status !== 'ok') {
            warn(section.id, `OOD set ${set.set} ${set.status}: ${set.reason ?? ''}`.trim());
            continue;
          }
          for (const score of set.scores) {
            oodEntries.push({ set: set.set, spec: set.spec, score: score.score, auroc: score.auroc, auprIn: score.auprIn, auprOut: score.auprOut, fprAt95Tpr: score.fpr95, roc: score.roc?.length ? score.roc : null, primary: score.score === section.metrics.primaryScore });
          }
        }
        break;
      case 'calibration': {
        const c = section.metrics;
        view.calibration = {
          accuracy: c.uncalibrated.accuracy,
          ece: c.ece,
          mce: c.uncalibrated.mce,
          brier: c.uncalibrated.brier,
          nll: c.uncalibrated.nll,
          bins: c.uncalibrated.reliability,
          temperature: c.temperature,
          calibratedEce: c.calibrated.ece,
          calibratedBins: c.calibrated.reliability,
        };
        break;
      }
      case 'stability':
        view.stability = {
          sequences: section.metrics.sequences.map((q) => ({ sequence: q.id, flipProbability: q.flipProbability, flipRate: q.flipRate })),
          meanFlipProbability: section.metrics.meanFlipProbability,
          mFR: section.metrics.mFR,
        };
        break;
      case 'certification': {
        const c = section.metrics;
        for (const p of c.certifiedAccuracy) certified.push({ method: c.certificationMethod, norm: c.norm, epsilon: p.epsilon, certifiedAccuracy: p.certifiedAccuracy, abstained: c.abstentionRate ?? null });
        break;
      }
      case 'validation':
        for (const check of section.metrics.checks) {
          view.validity.push({ id: check.id, title: check.title, outcome: check.outcome, message: check.message });
          if (check.outcome === 'warn' || check.outcome === 'fail') warn(section.id, `${check.title} (${check.outcome}): ${check.message}`);
        }
        break;
      case 'sensitivity': {
        if (view.sensitivity) break;
        const m = section.metrics;
        const p = m.parameters;
        view.sensitivity = {
          section: section.id,
          mode: m.mode,
          settings: { ...m.settings },
          count: m.count,
          cleanAccuracy: m.cleanAccuracy,
          units: m.units,
          ranking: m.ranking.map((u) => ({ ...u })),
          heatmap: m.heatmap,
          parameters: p
            ? {
                runs: p.runs,
                resample: p.resample,
                train: p.train,
                trainCount: p.trainCount,
                accuracy: { mean: p.accuracy.mean, std: p.accuracy.std, min: p.accuracy.min, max: p.accuracy.max },
                meanPairwiseFlipRate: p.meanPairwiseFlipRate,
                maxPairwiseFlipRate: p.maxPairwiseFlipRate,
                unstableFraction: p.unstableFraction,
                weights: p.weights.map((w) => ({ layer: w.layer, parameters: w.parameters, relativeStd: w.relativeStd, meanPairwiseRelativeDistance: w.meanPairwiseRelativeDistance })),
              }
            : null,
        };
        break;
      }
      case 'explanations': {
        if (view.explanations) break;
        const m = section.metrics;
        const descriptions = new Map(m.variants.map((v) => [v.name, v.description]));
        view.explanations = {
          section: section.id,
          methods: m.methods.map((x) => ({ id: x.id, title: x.title })),
          similarity: m.methods.flatMap((x) => x.variants.map((v) => ({ method: x.id, variant: v.name, meanSimilarityToClean: v.meanSimilarityToClean ?? null, meanCompletenessGap: v.meanCompletenessGap ?? null }))),
          variants: m.variants.map((v) => ({ name: v.name, description: v.description, accuracy: v.accuracy, attackSuccessRate: v.attackSuccessRate ?? null })),
          examples: m.examples.map((e) => ({
            sampleIndex: e.sampleIndex,
            label: e.trueLabel,
            variants: e.variants.map((v) => ({
              name: v.name,
              description: descriptions.get(v.name) ?? v.name,
              predicted: v.predicted,
              attackSuccess: v.attackSuccess ?? null,
              input: galleryUri(v.input ?? undefined),
              saliency: v.saliency.map((c) => ({ method: c.method, image: galleryUri(c.image ?? undefined), similarityToClean: c.similarityToClean ?? null, completenessGap: c.completenessGap ?? null })),
            })),
          })),
        };
        break;
      }
      default:
        break; // a section type this reader does not know: ignored, as the results contract asks
    }
  }
  if (robustPoints.length || worstCase.length) view.robustness = { points: robustPoints, worstCase };
  for (const p of robustPoints) if (p.invalid > 0) warn('robustness', `${p.attack} (${p.norm}, ε = ${p.epsilon}): ${p.invalid} invalid proposals rejected by the harness (counted as failures).`);
  if (certified.length) view.certified = { points: certified };
  if (oodEntries.length) view.ood = { entries: oodEntries };
  // A sweep attached to the audit (not part of the audit contract yet, but rendered when present).
  const extra = (results as unknown as Json).sweep;
  if (isObject(extra) && isSweep(extra)) view.sweep = readSweep([extra]);
  if (!view.clean && results.summary?.cleanAccuracy != null) view.clean = { accuracy: results.summary.cleanAccuracy, count: null };
  view.gallery = (results.gallery ?? []).flatMap((g): GalleryItem[] => {
    const original = galleryUri(g.original);
    const perturbed = galleryUri(g.perturbed);
    if (!original || !perturbed) return [];
    return [
      {
        kind: g.kind === 'corruption' ? 'corrupted' : g.kind,
        caption: g.description,
        label: g.trueLabel,
        original,
        perturbed,
        difference: galleryUri(g.difference),
        differenceFactor: g.amplification ?? null,
        originalPrediction: g.originalPrediction?.label ?? null,
        originalConfidence: g.originalPrediction?.confidence ?? null,
        perturbedPrediction: g.perturbedPrediction?.label ?? null,
        perturbedConfidence: g.perturbedPrediction?.confidence ?? null,
      },
    ];
  });
  return view;
}

/** The sensitivity view of a `rampart sensitivity` result (features or occlusion mode), copied as written. */
function readSensitivityCommand(root: Json): SensitivityView | null {
  const f = isObject(root.features) ? root.features : null;
  if (!f || (f.mode !== 'features' && f.mode !== 'occlusion')) return null;
  const units = objects(f.ranking).flatMap((u) =>
    num(u.unit) !== null && str(u.name) !== null && num(u.accuracyDrop) !== null && num(u.outputVariance) !== null
      ? [{ unit: u.unit as number, name: u.name as string, accuracyDrop: u.accuracyDrop as number, outputVariance: u.outputVariance as number, meanProbabilityChange: num(u.meanProbabilityChange) ?? 0 }]
      : [],
  );
  const settings = isObject(f.settings) ? f.settings : {};
  const map = isObject(f.heatmap) ? f.heatmap : null;
  const grid = (v: unknown): number[][] => arr(v).map((row) => arr(row).map((x) => num(x) ?? 0));
  return {
    section: 'sensitivity',
    mode: f.mode,
    settings: { amount: num(settings.amount) ?? undefined, patch: num(settings.patch) ?? undefined, stride: num(settings.stride) ?? undefined, fill: num(settings.fill) ?? undefined },
    count: num(f.samples) ?? 0,
    cleanAccuracy: num(f.cleanAccuracy) ?? 0,
    units: arr(f.units).length,
    ranking: units.slice(0, 20),
    heatmap: map && num(map.rows) !== null && num(map.cols) !== null ? { rows: map.rows as number, cols: map.cols as number, accuracyDrop: grid(map.accuracyDrop), outputVariance: grid(map.outputVariance) } : null,
    parameters: null,
  };
}

/** Reads a results JSON (an audit results.json or one command's result) into the report view. */
export function toReportView(results: unknown): ReportView {
  if (isObject(results) && results.kind === 'rampart-audit' && isObject(results.sections)) return fromAudit(results as unknown as AuditResults);
  const root = isObject(results) ? results : {};
  const found: Found = { attacks: [], corruptions: [], stability: [], calibration: [], ood: [], certified: [], sweeps: [], gallery: [], warnings: [] };
  // The envelope's own `metrics` summary of an attack result repeats the worst case: skip it, read the sections.
  const { metrics, ...rest } = root;
  if (isObject(metrics) && !('worstCase' in root && 'attacks' in root)) walk(metrics, found, [root], 'metrics');
  if (isAttackReport(rest)) found.attacks.push(rest);
  else walk(rest, found, [], '');
  const methods: MethodNote[] = [];
  const warnings: ReportWarning[] = readWarnings(found.warnings);
  const view: ReportView = {
    meta: readMeta(root),
    clean: readClean(root, found),
    robustness: readRobustness(found.attacks, methods, warnings),
    certified: readCertified(found.certified, methods),
    corruption: readCorruption(found.corruptions, methods),
    stability: readStability(found.stability, methods),
    ood: readOod(found.ood, methods),
    calibration: readCalibration(found.calibration, methods),
    gallery: readGallery(found.gallery),
    warnings,
    validity: [],
    sweep: readSweep(found.sweeps),
    methods,
    sensitivity: readSensitivityCommand(root),
  };
  return view;
}
