/**
 * The ONNX Runtime fast path: forward passes through onnxruntime-node's InferenceSession (3-5x PyTorch on the
 * reference CNN, see docs/engine.md). Forward only. Feeds host Float32Arrays in the model's own layout and
 * handles the batch dimension either way a model declares it: symbolic (any batch, run in chunks) or fixed
 * (e.g. ACAS Xu's batch of 1: run chunk by chunk of exactly that size, padding the last chunk).
 */
import type { InferenceSession } from 'onnxruntime-node';
import { RampartError } from '../../errors.js';

export interface OrtRunnerOptions {
  /** Name of the graph input to feed. */
  inputName: string;
  /** Name of the graph output to read. */
  outputName: string;
  /** Dims of one sample in model layout (without the batch dimension). */
  sampleDims: readonly number[];
  /** Fixed batch size the model declares, or undefined when its batch dimension is symbolic. */
  fixedBatch?: number;
  /** Intra-op threads (default 1: the machine is shared; raise for big single-user runs). */
  threads?: number;
  /** Largest batch per session.run when the batch is symbolic (default 1024). */
  maxChunk?: number;
  /** Names the model in messages. */
  source: string;
}

export interface OrtRunner {
  /** Runs `count` samples (model layout, row-major) and returns the output rows and the per-sample output size. */
  run(samples: Float32Array, count: number): Promise<{ values: Float32Array; perSample: number }>;
  release(): Promise<void>;
}

export async function createOrtRunner(bytes: Uint8Array, options: OrtRunnerOptions): Promise<OrtRunner> {
  const ort = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new RampartError(
      'MODEL_CORRUPT',
      `ONNX Runtime cannot load ${options.source}: ${(e as Error).message}. Check the model with onnx.checker.check_model or re-export it.`,
      { source: options.source },
    );
  }
  const perInput = options.sampleDims.reduce((a, b) => a * b, 1);
  const chunk = options.fixedBatch ?? options.maxChunk ?? 1024;

  return {
    async run(samples, count) {
      if (samples.length !== count * perInput) {
        throw new RampartError('INTERNAL', `OrtRunner: ${samples.length} values for ${count} samples of ${perInput}.`);
      }
      const parts: Float32Array[] = [];
      let perSample = 0;
      for (let start = 0; start < count; start += chunk) {
        const n = Math.min(chunk, count - start);
        const rows = options.fixedBatch ?? n;
        let feed = samples.subarray(start * perInput, (start + n) * perInput);
        if (rows !== n) {
          const padded = new Float32Array(rows * perInput);
          padded.set(feed);
          feed = padded;
        }
        const input = new ort.Tensor('float32', feed, [rows, ...options.sampleDims]);
        const results = await session.run({ [options.inputName]: input }, [options.outputName]);
        const output = results[options.outputName];
        const data = output.data as Float32Array;
        perSample = data.length / rows;
        parts.push(data.subarray(0, n * perSample));
        input.dispose?.();
      }
      const values = new Float32Array(count * perSample);
      let offset = 0;
      for (const part of parts) {
        values.set(part, offset);
        offset += part.length;
      }
      return { values, perSample };
    },
    release: () => session.release(),
  };
}
