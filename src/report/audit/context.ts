/**
 * What every audit section receives (the loaded model and data, the suite, the seed, progress and output hooks)
 * and what it returns. A section is a function `(config, context) → SectionOutcome`; the runner adds the id,
 * type, title and timing and writes results.json after each one.
 */
import type { Model } from '../../engine/model.js';
import type { Dataset, Batch } from '../../data/dataset.js';
import type { LoadedData } from '../../data/load-all.js';
import type { AuditConfig, SectionConfig } from './config.js';
import type { AuditWarning, GalleryEntry, SectionResult, SectionStatus } from './results.js';

export interface AuditContext {
  model: Model;
  modelSpec: string;
  /** ONNX twin of a TF.js model (built-in models), for the attack harness's independent verifier. */
  onnxTwin?: string;
  /** An ONNX file computing the model: the twin of a TF.js model, or the model file itself (smoothing fast path). */
  onnxFile?: string;
  /** The audited data (at most the largest sample count any section needs). */
  data: LoadedData;
  dataSpec: string;
  config: AuditConfig;
  /** Samples this section evaluates: its own count capped by --limit and the data (use `firstSamples`). */
  samples: number;
  /** Seed of this section (derived from the suite seed and the section id). */
  seed: number;
  /** Output folder (gallery PNGs go to `<outDir>/gallery`). */
  outDir: string;
  /** ONNX layout option given on the command line (for baseline models). */
  layout: 'auto' | 'nchw' | 'nhwc';
  progress(done: number, total: number, note: string): void;
  log(message: string): void;
}

export interface SectionOutcome {
  status: SectionStatus;
  reason?: string;
  method: string;
  parameters: Record<string, unknown>;
  samples: number;
  metrics: SectionResult['metrics'];
  warnings: AuditWarning[];
  gallery?: GalleryEntry[];
}

export type SectionRunner<C extends SectionConfig = SectionConfig> = (config: C, context: AuditContext) => Promise<SectionOutcome>;

/** A skipped section: no numbers, the reason says why (never fake numbers). */
export function skipped(method: string, parameters: Record<string, unknown>, reason: string, warnings: AuditWarning[] = []): SectionOutcome {
  return { status: 'skipped', reason, method, parameters, samples: 0, metrics: null, warnings };
}

/** The first `count` samples of loaded data. */
export function firstSamples(data: LoadedData, count: number): LoadedData {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  const n = Math.min(count, data.count);
  return { x: data.x.subarray(0, n * size), y: data.y.subarray(0, n), count: n, sampleShape: data.sampleShape };
}

/** An in-memory Dataset over loaded arrays (for library functions that stream batches). */
export function memoryDataset(data: LoadedData, spec: string, numClasses: number): Dataset {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  return {
    spec,
    count: data.count,
    sampleShape: data.sampleShape,
    numClasses,
    async *batches(batchSize: number): AsyncIterable<Batch> {
      for (let start = 0; start < data.count; start += batchSize) {
        const count = Math.min(batchSize, data.count - start);
        yield { x: data.x.subarray(start * size, (start + count) * size), y: data.y.subarray(start, start + count), count, start };
      }
    },
  };
}

/** A 32-bit seed for one section from the suite seed and the section id (FNV-1a over the id). */
export function sectionSeed(seed: number, id: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}
