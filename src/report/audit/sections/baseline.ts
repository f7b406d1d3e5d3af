/** Baseline models for CE/mCE and flip rates: 'auto' = builtin:mnist-mlp for 28×28×1 data, 'none', or a spec. */
import { loadModel } from '../../../engine/load.js';
import type { Model } from '../../../engine/model.js';

export function baselineSpecFor(setting: string, sampleShape: readonly number[]): string | null {
  if (setting === 'none') return null;
  if (setting !== 'auto') return setting;
  return sampleShape.length === 3 && sampleShape[0] === 28 && sampleShape[1] === 28 && sampleShape[2] === 1 ? 'builtin:mnist-mlp' : null;
}

/** Loads the baseline, or returns why it cannot be used (shape mismatch) — the caller records a warning. */
export async function loadBaseline(spec: string | null, model: Model, layout: 'auto' | 'nchw' | 'nhwc'): Promise<{ baseline?: Model; problem?: string }> {
  if (spec === null) return {};
  const baseline = await loadModel(spec, { layout });
  const same = baseline.inputShape.length === model.inputShape.length && baseline.inputShape.every((d, i) => d === model.inputShape[i]) && baseline.numClasses === model.numClasses;
  if (!same) {
    baseline.dispose();
    return { problem: `baseline ${spec} takes [${baseline.inputShape.join(', ')}] with ${baseline.numClasses} classes, the model [${model.inputShape.join(', ')}] with ${model.numClasses}; CE/mCE and flip rates are left null` };
  }
  return { baseline };
}
