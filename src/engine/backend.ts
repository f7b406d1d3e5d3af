/**
 * Backend set-up in one place: tfjs-backend-wasm by default, tfjs-backend-cpu as the fallback.
 * Choose with `setupBackend({backend})`, the CLI's `--backend`, or the `RAMPART_BACKEND` environment variable.
 */
import os from 'node:os';
import { tf } from './tf.js';
import { RampartError } from '../errors.js';

export type BackendName = 'wasm' | 'cpu';

export interface BackendOptions {
  /** 'wasm' (default) or 'cpu'; falls back to RAMPART_BACKEND, then 'wasm'. */
  backend?: BackendName;
  /** wasm threads; defaults to the number of cores (tfjs ignores it under Node today, see docs/engine.md). */
  threads?: number;
}

let current: BackendName | undefined;
let pending: Promise<BackendName> | undefined;

function silenceTfjsBanners(): void {
  // tfjs-backend-cpu warns "install tfjs-node" on first use under Node; tfjs' warn() is silent when PROD is set.
  tf.env().set('PROD', true);
}

function resolveName(requested?: string): BackendName {
  const name = requested ?? process.env.RAMPART_BACKEND ?? 'wasm';
  if (name !== 'wasm' && name !== 'cpu') {
    throw new RampartError(
      'BACKEND',
      `Unknown backend "${name}". Use --backend wasm (default, fast) or --backend cpu (reference), or set RAMPART_BACKEND accordingly.`,
      { backend: name },
    );
  }
  return name;
}

async function initialise(name: BackendName, threads: number): Promise<BackendName> {
  silenceTfjsBanners();
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
    const { registerWasmKernels } = await import('./kernels/index.js');
    registerWasmKernels();
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return 'wasm';
    }
    // fall through to cpu when the wasm binary cannot start
  }
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) {
    throw new RampartError('BACKEND', 'Neither the wasm nor the cpu TensorFlow.js backend could start.', {});
  }
  await tf.ready();
  return 'cpu';
}

/** Initialise the tensor backend once per process; later calls with another name switch backends. */
export async function setupBackend(options: BackendOptions = {}): Promise<BackendName> {
  const name = resolveName(options.backend);
  if (current === name) return current;
  const threads = options.threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  pending = initialise(name, threads).then((actual) => {
    current = actual;
    return actual;
  });
  return pending;
}

export function activeBackend(): BackendName | undefined {
  return current;
}
