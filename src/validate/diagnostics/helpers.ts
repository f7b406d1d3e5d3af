/** Small pieces the diagnostics share: the sample as arrays, plain forward passes, attack runs on the sample. */
import { tf } from '../../engine/tf.js';
import type { Model } from '../../engine/model.js';
import type { Dataset } from '../../data/dataset.js';
import { loadAll } from '../../data/load-all.js';
import { runAttacks, type AttackReport, type AttackRequest } from '../../attacks/harness.js';
import type { DiagnosticContext } from './define.js';

export interface SampleArrays {
  x: Float32Array;
  y: Int32Array;
  count: number;
  shape: readonly number[];
}

const cache = new WeakMap<Dataset, Promise<SampleArrays>>();

/** The diagnostic sample as arrays (read once per dataset object). */
export function sampleArrays(sample: Dataset): Promise<SampleArrays> {
  let found = cache.get(sample);
  if (!found) {
    found = loadAll(sample).then((all) => ({ x: all.x, y: all.y, count: all.count, shape: sample.sampleShape }));
    cache.set(sample, found);
  }
  return found;
}

/** Logits of row-major samples, as a Float32Array [n, K]. */
export async function logitValues(model: Model, x: Float32Array, shape: readonly number[]): Promise<{ values: Float32Array; classes: number }> {
  const n = x.length / shape.reduce((a, b) => a * b, 1);
  const input = tf.tensor(x, [n, ...shape]);
  try {
    const logits = await model.logits(input);
    const values = (await logits.data()) as Float32Array;
    const classes = logits.shape[1];
    logits.dispose();
    return { values, classes };
  } finally {
    input.dispose();
  }
}

export function argmaxRow(values: ArrayLike<number>, row: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (values[row * classes + c] > values[row * classes + best]) best = c;
  return best;
}

/** Runs attacks on the diagnostic sample (quiet, one batch). */
export function attackSample(context: DiagnosticContext, attacks: AttackRequest[], epsilons: number[]): Promise<AttackReport> {
  return runAttacks({ model: context.model, data: context.sample, attacks, norm: context.norm, epsilons, seed: context.seed, batchSize: Math.max(1, context.sample.count) });
}

/** Knowledge class of an attack id in a report entry. */
export const singleStepAttacks: readonly string[] = ['fgsm'];
export const iterativeAttacks: readonly string[] = ['bim', 'pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t'];

/** Success rate (over attacked = initially correct samples) with a null guard. */
export const rate = (v: number | null | undefined): number => (v === null || v === undefined ? 0 : v);

export const round = (v: number, digits = 4): number => Number(v.toFixed(digits));
