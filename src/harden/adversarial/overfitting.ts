/**
 * Catastrophic-overfitting detection for FGSM-based training (Wong et al. 2020, §5.2,
 * https://arxiv.org/abs/2001.03994): the model learns to defeat the single FGSM step — accuracy against FGSM on a
 * held-out batch rises — while accuracy against multi-step PGD on the same batch collapses, within a few
 * batches. Fires when PGD accuracy falls more than `drop` below its best so far while FGSM accuracy is at least its
 * value at that best (i.e. rising or flat). The loop then stops and restores the last good checkpoint.
 * @example detectCatastrophicOverfitting([{ pgd: 0.8, fgsm: 0.85 }, { pgd: 0.1, fgsm: 0.95 }], 0.2) // fires
 */
export interface OverfittingProbe {
  pgd: number;
  fgsm: number;
}

export interface OverfittingVerdict {
  fired: boolean;
  /** Index of the probe with the best PGD accuracy (the last good state). */
  bestIndex: number;
  reason?: string;
}

export function detectCatastrophicOverfitting(probes: readonly OverfittingProbe[], drop = 0.2): OverfittingVerdict {
  if (probes.length === 0) return { fired: false, bestIndex: -1 };
  let bestIndex = 0;
  for (let i = 1; i < probes.length; i++) if (probes[i].pgd > probes[bestIndex].pgd) bestIndex = i;
  const last = probes[probes.length - 1];
  const best = probes[bestIndex];
  const fired = best.pgd - last.pgd > drop && last.fgsm >= best.fgsm;
  return {
    fired,
    bestIndex,
    reason: fired
      ? `PGD accuracy on the held-out batch fell from ${(best.pgd * 100).toFixed(1)}% to ${(last.pgd * 100).toFixed(1)}% while FGSM accuracy rose from ${(best.fgsm * 100).toFixed(1)}% to ${(last.fgsm * 100).toFixed(1)}%`
      : undefined,
  };
}
