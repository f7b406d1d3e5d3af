/**
 * A black-box attack beating the white-box ones: a score- or decision-based attack (no gradients) breaks more
 * samples at some ε than the best gradient attack. With honest gradients the white-box attack should be at least
 * as strong; if not, the gradients mislead it (masking).
 * Source: Carlini et al. 2019 checklist (§"gradient-free attacks should not beat gradient-based ones"); Croce &
 * Hein 2020 (AutoAttack's Square check).
 */
import { z } from 'zod';
import { defineDiagnostic } from './define.js';
import { rate, round } from './helpers.js';

export const blackBoxBeatsWhiteBox = defineDiagnostic({
  id: 'black-box-beats-white-box',
  title: 'A black-box attack beats the white-box attacks',
  severity: 'critical',
  cost: 'cheap',
  source: 'Carlini et al. 2019 checklist; Croce & Hein 2020',
  remedy: 'The gradients are masked: find what breaks them (quantisation, randomness, softmax output, non-differentiable preprocessing), attack through BPDA/EOT, and report the black-box result as the robust accuracy meanwhile.',
  options: z.object({ margin: z.number().min(0).max(1).default(0.02) }).strict(),
  async check(context, options) {
    const report = context.report;
    if (!report) return { status: 'skipped', reason: 'needs an attack run with both white-box and black-box attacks' };
    const white = report.attacks.filter((a) => a.requires === 'gradients');
    const black = report.attacks.filter((a) => a.requires !== 'gradients');
    if (white.length === 0 || black.length === 0) return { status: 'skipped', reason: 'the run has no white-box/black-box pair of attacks' };
    let worst = { epsilon: NaN, whiteBox: 0, blackBox: 0, blackBoxAttack: '', whiteBoxAttack: '' };
    let gap = -Infinity;
    report.threat.epsilons.forEach((epsilon, e) => {
      const bestWhite = white.reduce((best, a) => (rate(a.results[e].attackSuccessRate) > rate(best.results[e].attackSuccessRate) ? a : best));
      const bestBlack = black.reduce((best, a) => (rate(a.results[e].attackSuccessRate) > rate(best.results[e].attackSuccessRate) ? a : best));
      const g = rate(bestBlack.results[e].attackSuccessRate) - rate(bestWhite.results[e].attackSuccessRate);
      if (g > gap) {
        gap = g;
        worst = { epsilon, whiteBox: rate(bestWhite.results[e].attackSuccessRate), blackBox: rate(bestBlack.results[e].attackSuccessRate), blackBoxAttack: bestBlack.id, whiteBoxAttack: bestWhite.id };
      }
    });
    const evidence = { epsilon: worst.epsilon, whiteBoxSuccessRate: round(worst.whiteBox), blackBoxSuccessRate: round(worst.blackBox), whiteBoxAttack: worst.whiteBoxAttack, blackBoxAttack: worst.blackBoxAttack };
    const oneSample = 1 / Math.max(report.clean.correct, 1);
    if (gap > options.margin && gap >= oneSample) {
      return { status: 'flagged', evidence, detail: `at ε = ${worst.epsilon}, ${worst.blackBoxAttack} (black-box) succeeds on ${(worst.blackBox * 100).toFixed(1)}% but the best white-box attack ${worst.whiteBoxAttack} only on ${(worst.whiteBox * 100).toFixed(1)}%` };
    }
    return { status: 'clear', evidence };
  },
});
