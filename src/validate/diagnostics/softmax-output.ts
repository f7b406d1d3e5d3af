/**
 * Probabilities instead of logits: rows that are non-negative and sum to 1 (softmax) or whose exponentials sum to 1
 * (log-softmax). Attacks on probabilities lose their gradients where the softmax saturates (cross-entropy of a
 * softmax output is a "double softmax"), which looks like robustness.
 * Source: Carlini & Wagner 2017 (defensive distillation), https://arxiv.org/abs/1607.04311; Carlini et al. 2019.
 */
import { z } from 'zod';
import { defineDiagnostic } from './define.js';
import { logitValues, round, sampleArrays } from './helpers.js';

export const softmaxOutput = defineDiagnostic({
  id: 'softmax-output',
  title: 'The model outputs probabilities, not logits',
  severity: 'critical',
  cost: 'cheap',
  source: 'Carlini & Wagner 2017; Carlini et al. 2019 checklist',
  remedy: 'Remove the final softmax (or log-softmax) so attacks see logits: export the model without it, or load a TF.js LayersModel (Rampart strips a final softmax layer automatically).',
  options: z.object({ tolerance: z.number().positive().default(1e-3) }).strict(),
  async check(context, options) {
    const sample = await sampleArrays(context.sample);
    if (sample.count === 0) return { status: 'skipped', reason: 'no samples' };
    const { values, classes } = await logitValues(context.model, sample.x, sample.shape);
    let probabilityRows = 0;
    let logProbabilityRows = 0;
    let worstSum = 0;
    for (let i = 0; i < sample.count; i++) {
      const row = values.subarray(i * classes, (i + 1) * classes);
      let sum = 0;
      let expSum = 0;
      let inUnit = true;
      let nonPositive = true;
      for (const v of row) {
        sum += v;
        expSum += Math.exp(v);
        if (v < -1e-6 || v > 1 + 1e-6) inUnit = false;
        if (v > 1e-6) nonPositive = false;
      }
      if (inUnit && Math.abs(sum - 1) <= options.tolerance) probabilityRows++;
      if (nonPositive && Math.abs(expSum - 1) <= options.tolerance) logProbabilityRows++;
      worstSum = Math.max(worstSum, Math.abs(sum - 1));
    }
    const evidence = { rows: sample.count, probabilityRows, logProbabilityRows, maxRowSumDeviation: round(worstSum, 6) };
    if (probabilityRows === sample.count) return { status: 'flagged', evidence, detail: `all ${sample.count} output rows are in [0, 1] and sum to 1 (softmax probabilities)` };
    if (logProbabilityRows === sample.count) return { status: 'flagged', evidence, detail: `all ${sample.count} output rows are ≤ 0 with Σ exp = 1 (log-probabilities)` };
    return { status: 'clear', evidence };
  },
});
