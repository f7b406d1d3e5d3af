/**
 * Randomness of the logits: the same inputs forwarded three times must give the same logits. A stochastic
 * forward pass (random resizing/padding, dropout at test time, noise injection) makes single-shot gradient
 * attacks look weak; evaluate it with Expectation over Transformation instead.
 * Source: Athalye, Carlini & Wagner 2018, https://arxiv.org/abs/1802.00420 (§4.3); Carlini et al. 2019 checklist.
 */
import { z } from 'zod';
import { defineDiagnostic } from './define.js';
import { argmaxRow, logitValues, round, sampleArrays } from './helpers.js';

export const randomLogits = defineDiagnostic({
  id: 'random-logits',
  title: 'Logits change between repeated forward passes',
  severity: 'critical',
  cost: 'cheap',
  source: 'Athalye et al. 2018 (stochastic gradients); Carlini et al. 2019 checklist',
  remedy: 'The model is randomised: attack the expectation (EOT: average gradients over 10–100 forward passes) and report accuracy averaged over repeated predictions, or fix the randomness for the evaluation.',
  options: z.object({ repeats: z.number().int().min(2).default(3), relativeTolerance: z.number().positive().default(1e-4) }).strict(),
  async check(context, options) {
    const sample = await sampleArrays(context.sample);
    if (sample.count === 0) return { status: 'skipped', reason: 'no samples' };
    const first = await logitValues(context.model, sample.x, sample.shape);
    let maxDifference = 0;
    let scale = 0;
    for (const v of first.values) scale = Math.max(scale, Math.abs(v));
    const flipped = new Uint8Array(sample.count);
    for (let r = 1; r < options.repeats; r++) {
      const again = await logitValues(context.model, sample.x, sample.shape);
      for (let i = 0; i < again.values.length; i++) maxDifference = Math.max(maxDifference, Math.abs(again.values[i] - first.values[i]));
      for (let i = 0; i < sample.count; i++) if (argmaxRow(again.values, i, again.classes) !== argmaxRow(first.values, i, first.classes)) flipped[i] = 1;
    }
    const relative = maxDifference / Math.max(scale, 1);
    const flipRate = flipped.reduce((a, b) => a + b, 0) / sample.count;
    const evidence = { repeats: options.repeats, maxLogitDifference: maxDifference, relativeDifference: relative, predictionFlipRate: round(flipRate) };
    if (!(relative <= options.relativeTolerance)) {
      return { status: 'flagged', evidence, detail: `repeated forward passes of the same ${sample.count} inputs differ by up to ${maxDifference.toExponential(2)} in the logits (${(flipRate * 100).toFixed(1)}% of predictions change)` };
    }
    return { status: 'clear', evidence };
  },
});
