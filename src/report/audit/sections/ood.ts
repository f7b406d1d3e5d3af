/**
 * Audit section `ood`: how well the model's confidence separates in-distribution test data from
 * out-of-distribution sets (Gaussian noise, uniform noise, Fashion-MNIST, or any data spec) — AUROC, AUPR,
 * FPR at 95% TPR and the ROC curve per score (MSP: Hendrycks & Gimpel 2017, https://arxiv.org/abs/1610.02136;
 * energy: Liu et al. 2020, https://arxiv.org/abs/2010.03759), through `oodScores` / `detectionMetrics`.
 * A set whose data cannot be opened (e.g. Fashion-MNIST not installed) is recorded as skipped with the reason.
 */
import { openDataset } from '../../../data/index.js';
import { loadAll } from '../../../data/load-all.js';
import { createRandom } from '../../../engine/random.js';
import { isRampartError } from '../../../errors.js';
import { detectionMethodNote, detectionMetrics, oodScores, rocCurve, syntheticOod, type OodScoreName } from '../../../metrics/ood.js';
import type { SectionConfigOf } from '../config.js';
import { firstSamples, type AuditContext, type SectionOutcome } from '../context.js';
import type { AuditWarning, OodMetrics, OodSetResult, RocPoint } from '../results.js';

/** At most `max` points of a ROC curve, evenly spaced by index, first and last kept. */
export function downsampleRoc(points: readonly RocPoint[], max = 101): RocPoint[] {
  if (points.length <= max) return points.map((p) => ({ fpr: p.fpr, tpr: p.tpr }));
  const out: RocPoint[] = [];
  for (let k = 0; k < max; k++) {
    const p = points[Math.round((k * (points.length - 1)) / (max - 1))];
    out.push({ fpr: p.fpr, tpr: p.tpr });
  }
  return out;
}

export async function runOodSection(config: SectionConfigOf<'ood'>, context: AuditContext): Promise<SectionOutcome> {
  const inData = firstSamples(context.data, context.samples);
  const names = config.scores as OodScoreName[];
  const shape = inData.sampleShape;
  const warnings: AuditWarning[] = [];
  const inScores = await oodScores(context.model, inData.x, inData.count, names, shape, { batchSize: context.config.batchSize });
  const sets: OodSetResult[] = [];
  for (const [index, set] of config.sets.entries()) {
    const name = typeof set === 'string' ? set : set.name;
    context.progress(index, config.sets.length, name);
    let x: Float32Array;
    let count: number;
    let spec: string;
    if (set === 'noise' || set === 'uniform') {
      count = inData.count;
      x = syntheticOod(set, count, shape, createRandom(context.seed + index), context.model.bounds);
      spec = set === 'noise' ? 'noise: clip(N(0.5, 1)) per value' : 'uniform: U[0, 1] per value';
    } else {
      spec = set === 'fashion-mnist' ? 'fashion-mnist:test' : set.data;
      try {
        const dataset = await openDataset(spec, { limit: inData.count });
        if (dataset.sampleShape.join('x') !== shape.join('x')) {
          sets.push({ set: name, spec, count: 0, status: 'skipped', reason: `${spec} has samples [${dataset.sampleShape.join(', ')}], the model takes [${shape.join(', ')}]`, scores: [] });
          continue;
        }
        const loaded = await loadAll(dataset);
        x = loaded.x;
        count = loaded.count;
      } catch (error) {
        if (!isRampartError(error)) throw error;
        sets.push({ set: name, spec, count: 0, status: 'skipped', reason: error.message, scores: [] });
        warnings.push({ code: 'ood-set-unavailable', message: `OOD set ${name} skipped: ${error.message}` });
        continue;
      }
    }
    const outScores = await oodScores(context.model, x, count, names, shape, { batchSize: context.config.batchSize });
    const scores = [];
    for (const score of names) {
      const a = inScores.scores[score];
      const b = outScores.scores[score];
      if (!a || !b) continue;
      const m = detectionMetrics(a, b);
      scores.push({ score, auroc: m.auroc, auprIn: m.auprIn, auprOut: m.auprOut, fpr95: m.fprAt95Tpr, roc: downsampleRoc(rocCurve(a, b)), ...(inScores.notes[score] ? { note: inScores.notes[score] } : {}) });
    }
    sets.push({ set: name, spec, count, status: 'ok', scores });
  }
  const metrics: OodMetrics = { inDistribution: { spec: context.dataSpec, count: inData.count }, primaryScore: config.primaryScore, sets };
  const ran = sets.filter((s) => s.status === 'ok');
  if (ran.length === 0) {
    return { status: 'skipped', reason: `no OOD set could be evaluated: ${sets.map((s) => `${s.set}: ${s.reason}`).join('; ')}`, method: 'OOD detection', parameters: { samples: inData.count, sets: config.sets, scores: names }, samples: 0, metrics: null, warnings };
  }
  return {
    status: 'ok',
    method: `OOD detection by ${names.join(', ')} scores (${detectionMethodNote})`,
    parameters: { samples: inData.count, sets: config.sets, scores: names, primaryScore: config.primaryScore, seed: context.seed },
    samples: inData.count,
    metrics,
    warnings,
  };
}
