/**
 * The shape of `results.json`, the file `rampart audit` writes (and rewrites after every finished section).
 *
 * Contract for readers (the HTML report, `rampart gate`, `rampart compare`, `rampart validate-snapshot`):
 * - `schemaVersion` is 1. Within version 1, changes are additive only (new optional fields, new section types);
 *   a reader must ignore section types it does not know.
 * - `sections` is keyed by section id (unique, stable, kebab-case, e.g. `clean`, `robustness`, `corruptions`);
 *   `sectionOrder` lists the ids in the order the suite runs them. Every section carries its `type`, `status`,
 *   the `method` that produced the numbers and the full `parameters` (defaults included), its `metrics` (null
 *   unless status is 'ok'), `warnings` and `timing`.
 * - `summary` repeats the headline numbers as flat, clearly named values (`cleanAccuracy`,
 *   `robustAccuracy[{norm, epsilon, attack}]` with attack `worst-case` for the per-sample worst case,
 *   `certifiedAccuracy[{method, norm, epsilon}]`, `mCE`, `corruptionAccuracy`, `oodAuroc[set]`, `ece`, ...) so
 *   gates never need to dig into sections. A null means "not measured" (section skipped or failed).
 * - Fractions (accuracies, rates, ECE, AUROC) are in [0, 1]; ε is in the units of the model's input bounds.
 * - Images in `gallery` are PNG files under the output folder (`file`, relative to results.json) and the same
 *   bytes inlined as a `data:image/png;base64,...` URI (`dataUri`) so a self-contained HTML page can embed them.
 *
 * The JSON Schema is `schema/results.schema.json` (documented in docs/results-schema.md); the tests validate
 * every results.json they produce against it.
 */

export const AUDIT_SCHEMA_VERSION = 1 as const;

export type Norm = 'linf' | 'l2' | 'l1' | 'l0';

/** Status of the audit as a whole. 'running' while sections are still being written (or after a crash). */
export type AuditStatus = 'running' | 'complete';

/** 'ok' = measured; 'skipped' = not applicable / capability missing (reason says why); 'failed' = threw. */
export type SectionStatus = 'ok' | 'skipped' | 'failed';

export type SectionType =
  | 'clean'
  | 'robustness'
  | 'corruptions'
  | 'ood'
  | 'calibration'
  | 'stability'
  | 'certification'
  | 'validation'
  | 'sensitivity'
  | 'explanations';

export interface AuditWarning {
  /** Stable kebab-case code, e.g. 'gradient-masking', 'invalid-proposals', 'preset-incomplete', 'verifier-mismatch'. */
  code: string;
  message: string;
  /** Section the warning comes from (set in the top-level `warnings` list; omitted inside a section). */
  section?: string;
}

export interface SectionTiming {
  /** ISO 8601 UTC. */
  startedAt: string;
  finishedAt: string;
  seconds: number;
}

interface SectionBase<T extends SectionType, M> {
  id: string;
  type: T;
  title: string;
  status: SectionStatus;
  /** Why the section was skipped or failed (absent when ok). */
  reason?: string;
  /** Human-readable name of the method, e.g. "AutoAttack-style cascade (apgd-ce → apgd-t → square)". */
  method: string;
  /** Every parameter that produced the numbers, defaults included. */
  parameters: Record<string, unknown>;
  /** Samples the section evaluated (0 when skipped). */
  samples: number;
  metrics: M | null;
  warnings: AuditWarning[];
  timing: SectionTiming;
  /** True when this section was carried over from an interrupted run instead of being recomputed. */
  resumed?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Section metrics
// ---------------------------------------------------------------------------------------------------------------

export interface CleanMetrics {
  cleanAccuracy: number;
  correct: number;
  count: number;
  /** Accuracy per class (null for a class with no samples). */
  perClassAccuracy: (number | null)[];
  /** confusionMatrix[true][predicted]. */
  confusionMatrix: number[][];
  samplesPerSecond: number;
}

export interface AttackEpsilonSummary {
  epsilon: number;
  /** Fraction of all samples still correct (cumulative over earlier attacks under the cascade). */
  robustAccuracy: number;
  attackSuccessRate: number | null;
  attacked: number;
  successes: number;
  /** Proposals the harness rejected (outside the ball/bounds, non-finite). */
  invalid: number;
  /** Median size of successful perturbations in the threat's norm (null: none). */
  medianPerturbation: number | null;
  /** Median softmax probability of the adversarial class on successes (null: none). */
  medianConfidence: number | null;
  queriesPerSample: { forward: number; gradient: number };
  seconds: number;
}

export interface AttackSummary {
  id: string;
  title: string;
  /** Options as the attack used them, defaults included. */
  parameters: unknown;
  results: AttackEpsilonSummary[];
  seconds: number;
}

export interface WorstCasePoint {
  epsilon: number;
  robustAccuracy: number;
  attackSuccessRate: number | null;
}

export interface ThreatResult {
  norm: Norm;
  goal: 'untargeted' | 'targeted';
  bounds: [number, number];
  epsilons: number[];
  cascade: boolean;
  preset: { name: string; components: string[]; ran: string[]; missing: string[] } | null;
  /** Where the independent re-verification ran. */
  verifier: { kind: string; source: string; maxCleanLogitDifference: number | null };
  attacks: AttackSummary[];
  worstCase: WorstCasePoint[];
}

export interface RobustnessMetrics {
  /** Clean accuracy on the attacked subset (judged by the verifier). */
  cleanAccuracy: number;
  count: number;
  threats: ThreatResult[];
}

export interface CorruptionCell {
  corruption: string;
  family: string;
  severity: number;
  accuracy: number;
  error: number;
  baselineError: number | null;
}

export interface CorruptionSummary {
  id: string;
  family: string;
  meanAccuracy: number;
  meanError: number;
  ce: number | null;
  relativeCe: number | null;
  robustnessScore: number | null;
}

export interface CorruptionMetrics {
  suite: string;
  count: number;
  cleanAccuracy: number;
  /** One cell per corruption × severity (the heatmap). */
  cells: CorruptionCell[];
  corruptions: CorruptionSummary[];
  families: { family: string; meanError: number; meanAccuracy: number; corruptions: string[] }[];
  /** Mean accuracy over corruptions (identity excluded). */
  corruptionAccuracy: number;
  meanError: number;
  mCE: number | null;
  relativeMCE: number | null;
  /** Baseline model spec behind CE / mCE (null: none, so CE fields are null). */
  baseline: string | null;
  definitions: string;
}

export interface RocPoint {
  fpr: number;
  tpr: number;
}

export interface OodScoreResult {
  /** Score name (msp, max-logit, energy, odin, mahalanobis). */
  score: string;
  auroc: number;
  auprIn: number;
  auprOut: number;
  /** FPR at 95% TPR. */
  fpr95: number;
  /** ROC curve, downsampled to at most ~101 points, from (0,0) to (1,1). */
  roc: RocPoint[];
  note?: string;
}

export interface OodSetResult {
  /** Set name as in the config (noise, uniform, fashion-mnist, or a data spec). */
  set: string;
  spec: string;
  count: number;
  status: SectionStatus;
  reason?: string;
  scores: OodScoreResult[];
}

export interface OodMetrics {
  inDistribution: { spec: string; count: number };
  /** The score whose AUROC goes into summary.oodAuroc. */
  primaryScore: string;
  sets: OodSetResult[];
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  confidence: number | null;
  accuracy: number | null;
}

export interface CalibrationScores {
  count: number;
  accuracy: number;
  ece: number;
  mce: number;
  brier: number;
  nll: number;
  bins: number;
  reliability: ReliabilityBin[];
}

export interface CalibrationMetricsResult {
  /** ECE of the raw model on the evaluation split (= uncalibrated.ece). */
  ece: number;
  uncalibrated: CalibrationScores;
  temperature: number;
  calibrated: CalibrationScores;
  split: { fit: number; evaluate: number; method: string };
}

export interface StabilitySequence {
  id: string;
  comparison: string;
  flipProbability: number;
  baselineFlipProbability: number | null;
  flipRate: number | null;
  top5Distance: number | null;
}

export interface StabilityMetrics {
  frames: number;
  count: number;
  sequences: StabilitySequence[];
  meanFlipProbability: number;
  mFR: number | null;
}

export interface CertifiedPoint {
  /** Radius in the certificate's norm. */
  epsilon: number;
  /** Fraction of all evaluated samples certified correct at this radius. */
  certifiedAccuracy: number;
}

export interface CertificationMetrics {
  /** Registry-style id: 'randomized-smoothing', 'ibp', 'crown', ... */
  certificationMethod: string;
  norm: Norm;
  count: number;
  certifiedAccuracy: CertifiedPoint[];
  /** Randomized smoothing: fraction of samples where the smoothed classifier abstained. */
  abstentionRate?: number | null;
  /** Accuracy of the certified classifier itself (smoothed classifier for smoothing; null if not defined). */
  cleanAccuracy?: number | null;
  /** Per-sample certified radii summary (median etc.), when the method gives radii. */
  radius?: { median: number | null; mean: number | null } | null;
  /** Extra method-specific values (kept small). */
  details?: Record<string, unknown>;
}

export interface ValidationCheck {
  id: string;
  title: string;
  /** pass = no problem found; warn = a suspicious sign; fail = the evaluation is not trustworthy. */
  outcome: 'pass' | 'warn' | 'fail' | 'skipped';
  message: string;
  details?: Record<string, unknown>;
}

export interface ValidationMetrics {
  checks: ValidationCheck[];
}

/** One feature (tabular data, or a pixel) or one occluded patch, as `featureSensitivity` measures it. */
export interface SensitivityUnitResult {
  /** Feature index, or patch index (row-major over the patch grid). */
  unit: number;
  name: string;
  /** Clean accuracy − mean accuracy over the unit's variants (negative: the change helped). */
  accuracyDrop: number;
  /** Mean over samples of the variance of the true-class probability across {clean, variants}. */
  outputVariance: number;
  /** Mean |p_true(variant) − p_true(clean)|. */
  meanProbabilityChange: number;
}

export interface ParameterVariabilityMetrics {
  runs: number;
  resample: 'bootstrap' | 'noise';
  /** Training data spec and the samples each run trained on; evaluation is the section's samples. */
  train: string;
  trainCount: number;
  evaluationCount: number;
  accuracy: { mean: number; std: number; min: number; max: number; perRun: number[] };
  meanPairwiseFlipRate: number;
  maxPairwiseFlipRate: number;
  /** Fraction of evaluation samples on which the runs do not all agree. */
  unstableFraction: number;
  weights: { layer: string; parameters: number; meanStd: number; meanAbs: number; relativeStd: number; meanPairwiseRelativeDistance: number }[];
  seconds: number;
}

export interface SensitivityMetrics {
  mode: 'features' | 'occlusion';
  /** features: amount; occlusion: patch, stride, fill (a number, or 'mean' resolved to the data mean). */
  settings: { amount?: number; patch?: number; stride?: number; fill?: number | 'mean' };
  count: number;
  cleanAccuracy: number;
  /** Features or patches measured. */
  units: number;
  /** The `top` most sensitive units, by accuracy drop then output variance. */
  ranking: SensitivityUnitResult[];
  /** Largest accuracy drop of a single unit (the first of the ranking). */
  maxAccuracyDrop: number;
  /** Heatmaps over the patch grid (occlusion) or the pixel grid (features mode on images); null for tabular data. */
  heatmap: { rows: number; cols: number; accuracyDrop: number[][]; outputVariance: number[][] } | null;
  /** Parameter variability over retrainings (null unless configured). */
  parameters: ParameterVariabilityMetrics | null;
}

export type ExplanationVariantName = 'clean' | 'adversarial' | 'corrupted';

export interface ExplanationVariantSummary {
  name: ExplanationVariantName;
  /** "clean", "pgd linf ε=0.1", "fog severity 3". */
  description: string;
  /** Accuracy of the explained inputs in this version. */
  accuracy: number;
  /** Adversarial: fraction of inputs the verified attack broke. */
  attackSuccessRate?: number;
}

export interface ExplanationMethodSummary {
  id: string;
  title: string;
  paper: string;
  /** The method's options, defaults included. */
  options: Record<string, unknown>;
  variants: {
    name: ExplanationVariantName;
    /** Mean cosine similarity of the saliency maps to the clean ones (absent for clean). */
    meanSimilarityToClean?: number;
    /** Integrated Gradients: mean relative completeness gap |Σ attributions − (S(x) − S(x'))| / |S(x) − S(x')|. */
    meanCompletenessGap?: number;
  }[];
}

export interface ExplanationSaliency {
  method: string;
  /** The heat-scaled saliency PNG (null for non-image data). */
  image: GalleryImage | null;
  /** The class whose score was explained, and that score. */
  explainedClass: number;
  score: number;
  attributionSum: number;
  completenessGap?: number;
  similarityToClean?: number;
}

export interface ExplanationExample {
  /** Index of the sample in the audited data. */
  sampleIndex: number;
  trueLabel: number;
  variants: {
    name: ExplanationVariantName;
    predicted: number;
    attackSuccess?: boolean;
    /** The input image (null for non-image data). */
    input: GalleryImage | null;
    saliency: ExplanationSaliency[];
  }[];
}

export interface ExplanationsMetrics {
  output: 'logit' | 'probability';
  explainClass: 'predicted' | 'label';
  count: number;
  variants: ExplanationVariantSummary[];
  methods: ExplanationMethodSummary[];
  /** Per input: each version's image and its saliency map per method (the report's saliency gallery). */
  examples: ExplanationExample[];
}

export type CleanSection = SectionBase<'clean', CleanMetrics>;
export type RobustnessSection = SectionBase<'robustness', RobustnessMetrics>;
export type CorruptionsSection = SectionBase<'corruptions', CorruptionMetrics>;
export type OodSection = SectionBase<'ood', OodMetrics>;
export type CalibrationSection = SectionBase<'calibration', CalibrationMetricsResult>;
export type StabilitySection = SectionBase<'stability', StabilityMetrics>;
export type CertificationSection = SectionBase<'certification', CertificationMetrics>;
export type ValidationSection = SectionBase<'validation', ValidationMetrics>;
export type SensitivitySection = SectionBase<'sensitivity', SensitivityMetrics>;
export type ExplanationsSection = SectionBase<'explanations', ExplanationsMetrics>;

export type SectionResult =
  | CleanSection
  | RobustnessSection
  | CorruptionsSection
  | OodSection
  | CalibrationSection
  | StabilitySection
  | CertificationSection
  | ValidationSection
  | SensitivitySection
  | ExplanationsSection;

/** Metrics type of a section type. */
export type MetricsOf<T extends SectionType> = NonNullable<Extract<SectionResult, { type: T }>['metrics']>;

// ---------------------------------------------------------------------------------------------------------------
// Gallery
// ---------------------------------------------------------------------------------------------------------------

export interface GalleryImage {
  /** PNG path relative to the folder of results.json (null if not written to disk). */
  file: string | null;
  /** The same PNG as a data URI (data:image/png;base64,...). */
  dataUri: string;
  width: number;
  height: number;
}

export interface GalleryPrediction {
  label: number;
  /** Softmax probability of that class. */
  confidence: number;
}

export interface GalleryEntry {
  id: string;
  kind: 'adversarial' | 'corruption';
  /** Section that produced it. */
  section: string;
  /** Index of the sample in the audited data. */
  sampleIndex: number;
  trueLabel: number;
  /** E.g. "apgd-ce, linf ε = 0.1" or "fog, severity 3". */
  description: string;
  original: GalleryImage;
  perturbed: GalleryImage;
  /** |perturbed − original| × amplification, clipped to [0, 1]. */
  difference: GalleryImage;
  amplification: number;
  originalPrediction: GalleryPrediction;
  perturbedPrediction: GalleryPrediction;
  /** Size of the change in L∞ and L2. */
  perturbation: { linf: number; l2: number };
  attack?: { id: string; norm: Norm; epsilon: number };
  corruption?: { id: string; family: string; severity: number };
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest and summary
// ---------------------------------------------------------------------------------------------------------------

export interface AuditManifest {
  tool: { name: 'rampart'; version: string };
  /** The command line as typed (argv joined), and argv itself. */
  command: string;
  argv: string[];
  startedAt: string;
  /** Null while running. */
  finishedAt: string | null;
  environment: {
    node: string;
    tfjs: string;
    onnxruntime: string | null;
    /** Active tfjs backend (wasm or cpu). */
    backend: string;
    platform: string;
    arch: string;
    cpus: number;
  };
  model: { spec: string; format: string; sha256: string; inputShape: number[]; numClasses: number; bounds: [number, number] };
  data: {
    spec: string;
    count: number;
    sampleShape: number[];
    /** SHA-256 of the loaded arrays (x as float32 little-endian bytes, then y as int32 little-endian bytes). */
    sha256: string;
  };
  /** The full resolved suite (every default filled in). */
  config: Record<string, unknown>;
  /** SHA-256 of the canonical JSON of `config`. */
  configSha256: string;
  /** Where the config came from: 'default' or the file path. */
  configSource: string;
  seed: number;
  /** Per-section wall time in run order (resumed sections keep their original seconds). */
  timings: { section: string; seconds: number; resumed: boolean }[];
  /** Wall time of this invocation (excluding resumed sections' original time). */
  totalSeconds: number;
  /** Set when this run continued an interrupted one. */
  resumed: { previousStartedAt: string; sections: string[] } | null;
}

export interface RobustAccuracyEntry {
  norm: Norm;
  epsilon: number;
  /** Attack id, or 'worst-case' for the per-sample worst case over all attacks of the threat. */
  attack: string;
  robustAccuracy: number;
}

export interface CertifiedAccuracyEntry {
  method: string;
  norm: Norm;
  epsilon: number;
  certifiedAccuracy: number;
}

export interface AuditSummary {
  cleanAccuracy: number | null;
  robustAccuracy: RobustAccuracyEntry[];
  certifiedAccuracy: CertifiedAccuracyEntry[];
  mCE: number | null;
  relativeMCE: number | null;
  corruptionAccuracy: number | null;
  /** AUROC of the primary OOD score per OOD set name. */
  oodAuroc: Record<string, number>;
  oodFpr95: Record<string, number>;
  ece: number | null;
  meanFlipProbability: number | null;
  mFR: number | null;
  /** Largest accuracy drop from occluding one patch / nudging one feature (first sensitivity section). */
  sensitivityMaxAccuracyDrop?: number | null;
  /** Mean pairwise prediction flip rate between retrainings (first sensitivity section with parameters). */
  parameterFlipRate?: number | null;
  /** Mean cosine similarity of adversarial / corrupted saliency maps to the clean ones, per method and variant. */
  saliencySimilarity?: { method: string; variant: 'adversarial' | 'corrupted'; meanSimilarityToClean: number }[];
  /** Count of sections per status. */
  sections: { ok: number; skipped: number; failed: number };
}

export interface AuditResults {
  schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  kind: 'rampart-audit';
  status: AuditStatus;
  manifest: AuditManifest;
  sectionOrder: string[];
  sections: Record<string, SectionResult>;
  summary: AuditSummary;
  gallery: GalleryEntry[];
  /** Every section's warnings, each tagged with its section id. */
  warnings: AuditWarning[];
}
