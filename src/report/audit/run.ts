/**
 * The audit runner: loads the model and data once, runs the suite's sections in order, and rewrites
 * `<out>/results.json` after every finished section, so an interrupted audit loses at most the section in flight.
 *
 * Resuming: when `<out>/results.json` exists from an earlier run with the same config hash (the resolved suite,
 * seed and limit included), the same model sha256 and the same data sha256, its finished sections ('ok' or
 * 'skipped') are kept as they are (marked `resumed: true`, their original timings kept) and only the others run.
 * Any difference starts a fresh audit and the reason is reported (`fresh: true` forces that).
 *
 * At the end it writes `card.md` (the robustness card) and `index.html` (through the HTML renderer hook).
 *
 * @example
 * const config = resolveAuditConfig({ sections: [{ type: 'clean', samples: 100 }] });
 * const results = await runAudit({ config, configSource: 'inline', outDir: 'audit-out' });
 * results.summary.cleanAccuracy; // 0.99
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadModel, modelSha256, resolveModelSpec } from '../../engine/load.js';
import type { Model } from '../../engine/model.js';
import { openDataset } from '../../data/index.js';
import { loadAll, type LoadedData } from '../../data/load-all.js';
import { checkDataFitsModel } from '../../metrics/accuracy.js';
import { isRampartError } from '../../errors.js';
import { toolVersion } from '../result.js';
import { configSha256, sectionSamples, type AuditConfig, type SectionConfig } from './config.js';
import { sectionSeed, type AuditContext, type SectionOutcome } from './context.js';
import { dataSha256, environment } from './manifest.js';
import { runnerFor } from './registry.js';
import { includeSection } from './include.js';
import { summarize } from './summary.js';
import { renderCard } from '../card.js';
import { AUDIT_SCHEMA_VERSION, type AuditResults, type AuditWarning, type SectionResult } from './results.js';

export type AuditEvent =
  | { kind: 'resume'; sections: string[] }
  | { kind: 'fresh'; reason: string }
  | { kind: 'section-start'; id: string; title: string; index: number; total: number; samples: number }
  | { kind: 'section-progress'; id: string; done: number; total: number; note: string }
  | { kind: 'section-end'; section: SectionResult; index: number; total: number }
  | { kind: 'log'; message: string };

/** Renders index.html from the results; returns null to skip writing it. */
export type HtmlRenderer = (results: AuditResults) => string | null | Promise<string | null>;

export interface RunAuditOptions {
  config: AuditConfig;
  /** 'default' or the config file path (recorded in the manifest). */
  configSource: string;
  outDir: string;
  /** Ignore an earlier results.json in outDir. */
  fresh?: boolean;
  layout?: 'auto' | 'nchw' | 'nhwc';
  /** Recorded in the manifest (default: process.argv). */
  argv?: string[];
  onEvent?: (event: AuditEvent) => void;
  /** Called after each section's results are written (the CLI's test hook uses it). */
  afterSection?: (id: string, results: AuditResults) => void;
  /** Renders index.html (the CLI passes `renderReport` from src/report/html); when undefined, none is written. */
  renderHtml?: HtmlRenderer;
}

export const RESULTS_FILE = 'results.json';
export const CARD_FILE = 'card.md';
export const HTML_FILE = 'index.html';

/** Writes JSON atomically (temp file + rename), so a kill mid-write never leaves a truncated results.json. */
export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** The largest sample count any section needs (null: all of the data). */
function samplesNeeded(config: AuditConfig): number | undefined {
  let max = 0;
  for (const s of config.sections) {
    if (s.samples === null) return config.limit ?? undefined;
    max = Math.max(max, s.samples);
  }
  return config.limit !== null ? Math.min(max, config.limit) : max;
}

function readPrevious(file: string): AuditResults | { unreadable: string } | null {
  if (!fs.existsSync(file)) return null;
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as AuditResults;
    if (value?.kind !== 'rampart-audit' || value.schemaVersion !== AUDIT_SCHEMA_VERSION) return { unreadable: 'it is not a rampart audit results file of this schema version' };
    return value;
  } catch (error) {
    return { unreadable: `it cannot be parsed (${(error as Error).message})` };
  }
}

/** Why an earlier run cannot be resumed, or null when it can. */
function resumeMismatch(previous: AuditResults, configHash: string, modelHash: string, dataHash: string): string | null {
  if (previous.manifest.configSha256 !== configHash) return 'the suite config (or seed, or limit) differs from the earlier run';
  if (previous.manifest.model.sha256 !== modelHash) return 'the model file differs from the earlier run (sha256)';
  if (previous.manifest.data.sha256 !== dataHash) return 'the data differs from the earlier run (sha256)';
  if (previous.status === 'complete') return 'the earlier audit in this folder is complete';
  return null;
}

function now(): string {
  return new Date().toISOString();
}

async function runSection(section: SectionConfig, context: AuditContext): Promise<SectionOutcome> {
  try {
    if ('from' in section && section.from) return await includeSection({ ...section, from: section.from }, context);
    return await runnerFor(section)(section, context);
  } catch (error) {
    const message = isRampartError(error) ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`;
    return { status: 'failed', reason: message, method: section.type, parameters: { ...section }, samples: 0, metrics: null, warnings: [] };
  }
}

/** Runs (or resumes) an audit; returns the final results (also written to outDir). */
export async function runAudit(options: RunAuditOptions): Promise<AuditResults> {
  const { config, outDir } = options;
  const emit = options.onEvent ?? (() => undefined);
  const started = performance.now();
  const startedAt = now();
  const layout = options.layout ?? 'auto';
  const resultsFile = path.join(outDir, RESULTS_FILE);

  const resolved = resolveModelSpec(config.model);
  const dataset = await openDataset(config.data, { limit: samplesNeeded(config) });
  const model: Model = await loadModel(config.model, { layout });
  try {
    checkDataFitsModel(model, dataset);
    const data: LoadedData = await loadAll(dataset);
    const modelHash = modelSha256(resolved);
    const dataHash = dataSha256(data);
    const configHash = configSha256(config);
    const onnxTwin = resolved.kind === 'tfjs' ? path.join(path.dirname(resolved.file), 'model.onnx') : undefined;

    let previous: AuditResults | null = null;
    if (!options.fresh) {
      const found = readPrevious(resultsFile);
      if (found && 'unreadable' in found) emit({ kind: 'fresh', reason: `${resultsFile} exists but ${found.unreadable}; starting a fresh audit` });
      else if (found) {
        const mismatch = resumeMismatch(found, configHash, modelHash, dataHash);
        if (mismatch) emit({ kind: 'fresh', reason: `not resuming ${resultsFile}: ${mismatch}; starting a fresh audit` });
        else previous = found;
      }
    }
    const reusable = (id: string) => {
      const s = previous?.sections[id];
      return s && (s.status === 'ok' || s.status === 'skipped') ? s : undefined;
    };
    const resumedIds = config.sections.map((s) => s.id).filter((id) => reusable(id));
    if (previous && resumedIds.length > 0) emit({ kind: 'resume', sections: resumedIds });
    // A fresh start clears the gallery of an earlier run so stale PNGs never mix with new ones.
    if (!previous || resumedIds.length === 0) fs.rmSync(path.join(outDir, 'gallery'), { recursive: true, force: true });

    const results: AuditResults = {
      schemaVersion: AUDIT_SCHEMA_VERSION,
      kind: 'rampart-audit',
      status: 'running',
      manifest: {
        tool: { name: 'rampart', version: toolVersion() },
        command: ['rampart', ...(options.argv ?? process.argv.slice(2))].join(' '),
        argv: [...(options.argv ?? process.argv.slice(2))],
        startedAt,
        finishedAt: null,
        environment: environment(),
        model: { spec: config.model, format: model.format, sha256: modelHash, inputShape: [...model.inputShape], numClasses: model.numClasses, bounds: [model.bounds[0], model.bounds[1]] },
        data: { spec: dataset.spec, count: data.count, sampleShape: [...data.sampleShape], sha256: dataHash },
        config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
        configSha256: configHash,
        configSource: options.configSource,
        seed: config.seed,
        timings: [],
        totalSeconds: 0,
        resumed: previous && resumedIds.length > 0 ? { previousStartedAt: previous.manifest.startedAt, sections: resumedIds } : null,
      },
      sectionOrder: config.sections.map((s) => s.id),
      sections: {},
      summary: summarize([], {}),
      gallery: previous ? previous.gallery.filter((g) => resumedIds.includes(g.section)) : [],
      warnings: [],
    };

    const write = () => {
      const order = results.sectionOrder;
      results.summary = summarize(order, results.sections);
      results.warnings = order.flatMap((id) => (results.sections[id]?.warnings ?? []).map((w) => ({ ...w, section: id }) as AuditWarning));
      results.manifest.totalSeconds = (performance.now() - started) / 1000;
      writeJsonAtomic(resultsFile, results);
    };

    const total = config.sections.length;
    for (const [index, section] of config.sections.entries()) {
      const kept = reusable(section.id);
      if (kept) {
        results.sections[section.id] = { ...kept, resumed: true };
        results.manifest.timings.push({ section: section.id, seconds: kept.timing.seconds, resumed: true });
        emit({ kind: 'section-end', section: results.sections[section.id], index, total });
        continue;
      }
      const samples = sectionSamples(section, config, data.count);
      emit({ kind: 'section-start', id: section.id, title: section.title, index, total, samples });
      const sectionStartedAt = now();
      const t0 = performance.now();
      const context: AuditContext = {
        model,
        modelSpec: config.model,
        onnxTwin: onnxTwin && fs.existsSync(onnxTwin) ? onnxTwin : undefined,
        onnxFile: resolved.kind === 'onnx' ? resolved.file : onnxTwin && fs.existsSync(onnxTwin) ? onnxTwin : undefined,
        data,
        dataSpec: dataset.spec,
        config,
        samples,
        seed: sectionSeed(config.seed, section.id),
        outDir,
        layout,
        progress: (done, totalUnits, note) => emit({ kind: 'section-progress', id: section.id, done, total: totalUnits, note }),
        log: (message) => emit({ kind: 'log', message }),
      };
      const outcome = await runSection(section, context);
      const seconds = (performance.now() - t0) / 1000;
      const result = {
        id: section.id,
        type: section.type,
        title: section.title,
        status: outcome.status,
        ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        method: outcome.method,
        parameters: outcome.parameters,
        samples: outcome.samples,
        metrics: outcome.metrics,
        warnings: outcome.warnings,
        timing: { startedAt: sectionStartedAt, finishedAt: now(), seconds },
      } as SectionResult;
      results.sections[section.id] = result;
      results.gallery = results.gallery.filter((g) => g.section !== section.id).concat(outcome.gallery ?? []);
      results.manifest.timings.push({ section: section.id, seconds, resumed: false });
      write();
      emit({ kind: 'section-end', section: result, index, total });
      options.afterSection?.(section.id, results);
    }

    results.status = 'complete';
    results.manifest.finishedAt = now();
    write();
    fs.writeFileSync(path.join(outDir, CARD_FILE), renderCard(results));
    if (options.renderHtml) {
      const html = await options.renderHtml(results);
      if (html !== null) fs.writeFileSync(path.join(outDir, HTML_FILE), html);
    }
    return results;
  } finally {
    model.dispose();
  }
}
