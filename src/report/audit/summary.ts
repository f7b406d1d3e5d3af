/** The headline numbers of an audit (results.json `summary`), derived from the finished sections. */
import type { AuditSummary, MetricsOf, SectionResult } from './results.js';

export function summarize(order: readonly string[], sections: Readonly<Record<string, SectionResult>>): AuditSummary {
  const summary: AuditSummary = {
    cleanAccuracy: null,
    robustAccuracy: [],
    certifiedAccuracy: [],
    mCE: null,
    relativeMCE: null,
    corruptionAccuracy: null,
    oodAuroc: {},
    oodFpr95: {},
    ece: null,
    meanFlipProbability: null,
    mFR: null,
    sensitivityMaxAccuracyDrop: null,
    parameterFlipRate: null,
    saliencySimilarity: [],
    sections: { ok: 0, skipped: 0, failed: 0 },
  };
  for (const id of order) {
    const s = sections[id];
    if (!s) continue;
    summary.sections[s.status]++;
    if (s.status !== 'ok' || s.metrics === null) continue;
    // The first section of a type provides the single-valued headline numbers.
    switch (s.type) {
      case 'clean':
        summary.cleanAccuracy ??= s.metrics.cleanAccuracy;
        break;
      case 'robustness':
        for (const t of s.metrics.threats) {
          for (const a of t.attacks) for (const r of a.results) summary.robustAccuracy.push({ norm: t.norm, epsilon: r.epsilon, attack: a.id, robustAccuracy: r.robustAccuracy });
          for (const w of t.worstCase) summary.robustAccuracy.push({ norm: t.norm, epsilon: w.epsilon, attack: 'worst-case', robustAccuracy: w.robustAccuracy });
        }
        break;
      case 'corruptions':
        summary.mCE ??= s.metrics.mCE;
        summary.relativeMCE ??= s.metrics.relativeMCE;
        summary.corruptionAccuracy ??= s.metrics.corruptionAccuracy;
        break;
      case 'ood':
        for (const set of s.metrics.sets) {
          const primary = set.scores.find((x) => x.score === s.metrics!.primaryScore);
          if (set.status === 'ok' && primary && !(set.set in summary.oodAuroc)) {
            summary.oodAuroc[set.set] = primary.auroc;
            summary.oodFpr95[set.set] = primary.fpr95;
          }
        }
        break;
      case 'calibration':
        summary.ece ??= s.metrics.ece;
        break;
      case 'stability':
        summary.meanFlipProbability ??= s.metrics.meanFlipProbability;
        summary.mFR ??= s.metrics.mFR;
        break;
      case 'certification':
        for (const p of s.metrics.certifiedAccuracy) summary.certifiedAccuracy.push({ method: s.metrics.certificationMethod, norm: s.metrics.norm, epsilon: p.epsilon, certifiedAccuracy: p.certifiedAccuracy });
        break;
      case 'validation':
        break;
      case 'sensitivity':
        summary.sensitivityMaxAccuracyDrop ??= s.metrics.maxAccuracyDrop;
        if (s.metrics.parameters) summary.parameterFlipRate ??= s.metrics.parameters.meanPairwiseFlipRate;
        break;
      case 'explanations':
        for (const m of s.metrics.methods) {
          for (const v of m.variants) {
            if (v.name === 'clean' || v.meanSimilarityToClean === undefined) continue;
            if (summary.saliencySimilarity!.some((x) => x.method === m.id && x.variant === v.name)) continue;
            summary.saliencySimilarity!.push({ method: m.id, variant: v.name, meanSimilarityToClean: v.meanSimilarityToClean });
          }
        }
        break;
    }
  }
  return summary;
}

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/** One line for a sensitivity section: the most sensitive unit and, when measured, the retraining flip rate. */
export function sensitivityHeadline(m: MetricsOf<'sensitivity'>): string {
  const top = m.ranking[0];
  const parts = [top ? `most sensitive ${m.mode === 'occlusion' ? 'patch' : 'feature'}: ${top.name} (accuracy −${percent(top.accuracyDrop)})` : `${m.units} units, no change`];
  if (m.parameters) parts.push(`${m.parameters.runs} retrainings: flip rate ${percent(m.parameters.meanPairwiseFlipRate)}, accuracy ${percent(m.parameters.accuracy.mean)} ± ${percent(m.parameters.accuracy.std)}`);
  return parts.join('; ');
}

/** One line for an explanations section: saliency similarity to clean per method and variant. */
export function explanationsHeadline(m: MetricsOf<'explanations'>): string {
  const parts = m.methods.map((method) => {
    const moved = method.variants.filter((v) => v.meanSimilarityToClean !== undefined).map((v) => `${v.name} ${v.meanSimilarityToClean!.toFixed(2)}`);
    return `${method.id}${moved.length ? ` ${moved.join(', ')}` : ''}`;
  });
  return `${m.count} inputs; saliency similarity to clean: ${parts.join('; ')}`;
}
