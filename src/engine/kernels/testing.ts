/**
 * Helpers for checking the wasm replacement kernels against tfjs-backend-cpu in one process (tests and
 * scripts/bench-kernels.ts): a seeded generator of float arrays and a runner that evaluates the same tensor
 * program on both backends. Not part of the public API.
 */
import { tf, type Tensor } from '../tf.js';
import { setupBackend } from '../backend.js';

/** Deterministic floats from a seed (mulberry32), uniform in [low, high). */
export function seededFloats(seed: number, count: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    values[i] = low + (high - low) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return values;
}

/** Loads both backends (wasm with the replacement kernels) once; leaves wasm active. */
export async function loadBothBackends(): Promise<void> {
  await setupBackend({ backend: 'cpu' });
  await setupBackend({ backend: 'wasm' });
}

/** Runs `program` on one backend and returns its outputs' values (tensors are disposed). */
export async function runOn(backend: 'cpu' | 'wasm', program: () => Tensor | Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(program);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return values.map((v) => Float32Array.from(v));
}

/** Largest |a − b| divided by the largest |b| (so 1e-5 means "equal to five digits of the biggest entry"). */
export function maxRelativeDifference(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let scale = 0;
  for (const value of expected) scale = Math.max(scale, Math.abs(value));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const difference = Math.abs(actual[i] - expected[i]);
    if (!(difference <= worst)) worst = Number.isNaN(difference) ? Infinity : difference;
  }
  return scale === 0 ? worst : worst / scale;
}
