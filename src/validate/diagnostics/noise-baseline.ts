/**
 * Random-noise baseline: random perturbations of the same size (L∞ corners, L2/L1 sphere points, random L0
 * pixels) must be much weaker than the attack. An attack that breaks no more samples than noise is doing nothing
 * useful — typically its gradients are useless.
 * Source: Carlini et al. 2019 checklist ("compare against random noise"); Athalye et al. 2018.
 * Compares with the run's worst case at each ε; with `active` and no run, with the evaluated attack.
 */
import { z } from 'zod';
import { createRandom } from '../../engine/random.js';
import { mixSeed } from '../../attacks/harness.js';
import type { Norm } from '../../threat/threat-model.js';
import { defineDiagnostic } from './define.js';
import { argmaxRow, attackSample, logitValues, rate, round, sampleArrays } from './helpers.js';

/** One random perturbation of size ε in a norm added to x, clipped to bounds (written into out). */
function noisy(x: Float32Array, out: Float32Array, norm: Norm, epsilon: number, bounds: readonly [number, number], random: ReturnType<typeof createRandom>): void {
  const d = x.length;
  if (norm === 'linf') {
    for (let j = 0; j < d; j++) out[j] = x[j] + (random.next() < 0.5 ? -epsilon : epsilon);
  } else if (norm === 'l0') {
    out.set(x);
    for (let k = 0; k < Math.min(d, Math.round(epsilon)); k++) out[random.int(d)] = random.next() < 0.5 ? bounds[0] : bounds[1];
  } else {
    const g = Float64Array.from({ length: d }, () => random.normal());
    const size = norm === 'l2' ? Math.sqrt(g.reduce((a, v) => a + v * v, 0)) : g.reduce((a, v) => a + Math.abs(v), 0);
    for (let j = 0; j < d; j++) out[j] = x[j] + (g[j] * epsilon) / (size || 1);
  }
  for (let j = 0; j < d; j++) out[j] = Math.min(bounds[1], Math.max(bounds[0], out[j]));
}

export const noiseBaseline = defineDiagnostic({
  id: 'noise-as-strong-as-attack',
  title: 'Random noise is as strong as the attack',
  severity: 'critical',
  cost: 'cheap',
  source: 'Carlini et al. 2019 checklist',
  remedy: 'The attack is no better than chance: its gradients carry no signal (see gradient-health, softmax-output, random-logits). Use BPDA/EOT or a gradient-free attack before reporting robustness.',
  options: z
    .object({
      draws: z.number().int().min(1).default(8),
      margin: z.number().min(0).max(1).default(0.02),
      /** A saturated attack (≥ this success rate) is not compared. */
      saturated: z.number().min(0).max(1).default(0.99),
    })
    .strict(),
  async check(context, options) {
    const sample = await sampleArrays(context.sample);
    if (sample.count === 0) return { status: 'skipped', reason: 'no samples' };
    let report = context.report;
    if (!report && context.active && context.attack) report = await attackSample(context, [context.attack], context.epsilons);
    if (!report) return { status: 'skipped', reason: 'needs an attack run (or the active check) to compare with' };
    // noise only measures untargeted misclassification; a targeted run's success is not comparable
    if (report.threat.goal.kind === 'targeted') return { status: 'skipped', reason: 'the run is targeted; the noise baseline compares untargeted success' };
    const clean = await logitValues(context.model, sample.x, sample.shape);
    const correct = Array.from({ length: sample.count }, (_, i) => argmaxRow(clean.values, i, clean.classes) === sample.y[i]);
    const nCorrect = correct.filter(Boolean).length;
    if (nCorrect === 0) return { status: 'skipped', reason: 'no sample is classified correctly' };
    const size = sample.x.length / sample.count;
    const random = createRandom(mixSeed(context.seed, 0x401));
    const perEpsilon: { epsilon: number; noise: number; attack: number }[] = [];
    for (let e = 0; e < report.threat.epsilons.length; e++) {
      const epsilon = report.threat.epsilons[e];
      const broken = new Uint8Array(sample.count);
      for (let draw = 0; draw < options.draws; draw++) {
        const rows = new Float32Array(sample.x.length);
        for (let i = 0; i < sample.count; i++) noisy(sample.x.subarray(i * size, (i + 1) * size), rows.subarray(i * size, (i + 1) * size), report.threat.norm, epsilon, context.model.bounds, random);
        const out = await logitValues(context.model, rows, sample.shape);
        for (let i = 0; i < sample.count; i++) if (correct[i] && argmaxRow(out.values, i, out.classes) !== sample.y[i]) broken[i] = 1;
      }
      perEpsilon.push({ epsilon, noise: broken.reduce((a, b) => a + b, 0) / nCorrect, attack: rate(report.worstCase[e].attackSuccessRate) });
    }
    const hit = perEpsilon.find((p) => p.attack < options.saturated && p.noise > 0 && p.attack <= p.noise + options.margin);
    const shown = hit ?? perEpsilon[perEpsilon.length - 1];
    const evidence = { epsilons: perEpsilon.map((p) => p.epsilon), noiseSuccessRates: perEpsilon.map((p) => round(p.noise)), attackSuccessRates: perEpsilon.map((p) => round(p.attack)), draws: options.draws };
    if (hit) {
      return { status: 'flagged', evidence, detail: `at ε = ${shown.epsilon}, ${options.draws} random perturbations per sample break ${(shown.noise * 100).toFixed(1)}% of the correct samples and the attack ${(shown.attack * 100).toFixed(1)}%` };
    }
    return { status: 'clear', evidence };
  },
});
