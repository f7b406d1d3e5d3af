/**
 * Random-noise baseline: a random perturbation of size ε (L∞ corners, L2/L1 sphere points, random L0 pixels) is
 * a point inside the threat ball, so every sample that noise misclassifies is one the attack must also break. The
 * check draws noise on the diagnostic sample, runs the same attacks on the same samples, and compares the two
 * per sample: a correct sample broken by noise but not by the attack ("noise-only") is direct proof that the
 * attack misses points inside the ball — typically its gradients carry no signal. Noise that breaks as many
 * samples as the attack is not a flag by itself: on adversarially trained models the few breakable samples are
 * often breakable by noise too, and a strong attack then breaks the same ones (noise-only = 0).
 * Source: Carlini et al. 2019 checklist ("compare against random noise"), https://arxiv.org/abs/1902.06705;
 * Athalye et al. 2018, https://arxiv.org/abs/1802.00420.
 * Assumptions: untargeted runs (a targeted run is skipped); the attack outcomes are the run's own per-sample worst
 * case (`report.worstCaseSuccess`, the report describing the same data in order) when the report was made in this
 * process; otherwise the run's attacks (or, in the active check without a run, the evaluated attack) are re-run on
 * the diagnostic sample with the options they used, their successes united (cascade order). Success, correctness
 * and noise are all judged by the harness's verifier.
 *
 * @example
 * // rampart attack ... prints, when the attack misses what noise finds:
 * // [critical] noise-as-strong-as-attack: at ε = 0.5, noise broke 9 of 12 correct samples, the attack 0, of which noise-only 9 ...
 */
import { z } from 'zod';
import { tf } from '../../engine/tf.js';
import { createRandom } from '../../engine/random.js';
import { attackBatch, createVerifier, mixSeed, type AttackRequest } from '../../attacks/harness.js';
import type { Norm } from '../../threat/threat-model.js';
import { defineDiagnostic } from './define.js';
import { argmaxRow, logitValues, rate, round, sampleArrays } from './helpers.js';

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

const countOf = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0);

interface PairedCounts {
  epsilon: number;
  /** Noise-broken and attack-broken correct samples of the diagnostic sample; noise-only = broken by noise alone. */
  noise: number;
  attack: number;
  noiseOnly: number;
  attackOnly: number;
  /** The run's own success rate at this ε (over all its samples), for the saturation skip. */
  runAttack: number;
  saturated: boolean;
}

export const noiseBaseline = defineDiagnostic({
  id: 'noise-as-strong-as-attack',
  title: 'Random noise is as strong as the attack',
  severity: 'critical',
  cost: 'cheap',
  source: 'Carlini et al. 2019 checklist',
  remedy: 'The attack misses adversarial points that random noise finds inside the same ball: its gradients carry no signal (see gradient-health, softmax-output, random-logits). Use BPDA/EOT or a gradient-free attack before reporting robustness.',
  options: z
    .object({
      /** Random perturbations per sample and ε (default 8). */
      draws: z.number().int().min(1).default(8),
      /** Accepted for compatibility with the earlier rate-gap rule; the paired rule below does not use it. */
      margin: z.number().min(0).max(1).default(0.02),
      /** An ε where the run's attack success rate is ≥ this is not compared (default 0.99). */
      saturated: z.number().min(0).max(1).default(0.99),
      /** Flag when at least this many correct samples are broken by noise but not by the attack (default 1). */
      minNoiseOnly: z.number().int().min(1).default(1),
    })
    .strict(),
  async check(context, options) {
    const sample = await sampleArrays(context.sample);
    if (sample.count === 0) return { status: 'skipped', reason: 'no samples' };
    const report = context.report;
    const requests: AttackRequest[] = report
      ? report.attacks.map((a) => ({ id: a.id, options: (a.params ?? {}) as Record<string, unknown> }))
      : context.active && context.attack
        ? [{ id: context.attack.id, options: context.attack.options }]
        : [];
    if (requests.length === 0) return { status: 'skipped', reason: 'needs an attack run (or the active check) to compare with' };
    // noise only measures untargeted misclassification; a targeted run's success is not comparable
    if (report?.threat.goal.kind === 'targeted') return { status: 'skipped', reason: 'the run is targeted; the noise baseline compares untargeted success' };
    const norm = report?.threat.norm ?? context.norm;
    const epsilons = report?.threat.epsilons ?? context.epsilons;
    const verifier = await createVerifier(context.model);
    try {
      const judge = verifier.model;
      const clean = await logitValues(judge, sample.x, sample.shape);
      const correctRows = Array.from({ length: sample.count }, (_, i) => i).filter((i) => argmaxRow(clean.values, i, clean.classes) === sample.y[i]);
      const n = correctRows.length;
      if (n === 0) return { status: 'skipped', reason: 'no sample is classified correctly' };
      const size = sample.x.length / sample.count;
      const x = new Float32Array(n * size);
      correctRows.forEach((row, k) => x.set(sample.x.subarray(row * size, (row + 1) * size), k * size));
      const labels = Int32Array.from(correctRows, (row) => sample.y[row]);
      const random = createRandom(mixSeed(context.seed, 0x401));
      const perEpsilon: PairedCounts[] = [];
      for (let e = 0; e < epsilons.length; e++) {
        const epsilon = epsilons[e];
        const byNoise = new Uint8Array(n);
        for (let draw = 0; draw < options.draws; draw++) {
          const rows = new Float32Array(x.length);
          for (let k = 0; k < n; k++) noisy(x.subarray(k * size, (k + 1) * size), rows.subarray(k * size, (k + 1) * size), norm, epsilon, context.model.bounds, random);
          const out = await logitValues(judge, rows, sample.shape);
          for (let k = 0; k < n; k++) if (argmaxRow(out.values, k, out.classes) !== labels[k]) byNoise[k] = 1;
        }
        const byAttack = new Uint8Array(n);
        const runAttack = report ? rate(report.worstCase[e].attackSuccessRate) : 0;
        const saturated = report !== undefined && runAttack >= options.saturated;
        // the run's own per-sample outcomes when it covered these samples (the report describes the same data, in
        // order); otherwise (a report read back from JSON) the run's attacks are re-run on the sample
        const runOutcomes = report?.worstCaseSuccess?.[e];
        if (!saturated && runOutcomes && runOutcomes.length >= sample.count) {
          correctRows.forEach((row, k) => {
            byAttack[k] = runOutcomes[row];
          });
        } else if (!saturated) {
          for (let a = 0; a < requests.length && countOf(byAttack) < n; a++) {
            const open = [...byAttack.keys()].filter((k) => byAttack[k] === 0);
            const xs = new Float32Array(open.length * size);
            open.forEach((k, j) => xs.set(x.subarray(k * size, (k + 1) * size), j * size));
            const input = tf.tensor(xs, [open.length, ...sample.shape]);
            try {
              const result = await attackBatch({
                model: context.model,
                attack: requests[a].id,
                options: requests[a].options,
                x: input,
                labels: Int32Array.from(open, (k) => labels[k]),
                threat: { norm, epsilon, bounds: [context.model.bounds[0], context.model.bounds[1]] },
                seed: mixSeed(context.seed, 0x402, a, e),
                verifier,
              });
              result.xAdv.dispose();
              open.forEach((k, j) => {
                if (result.success[j] === 1) byAttack[k] = 1;
              });
            } finally {
              input.dispose();
            }
          }
        }
        let noiseOnly = 0;
        let attackOnly = 0;
        for (let k = 0; k < n; k++) {
          if (byNoise[k] === 1 && byAttack[k] === 0) noiseOnly++;
          if (byAttack[k] === 1 && byNoise[k] === 0) attackOnly++;
        }
        const attack = countOf(byAttack);
        perEpsilon.push({ epsilon, noise: countOf(byNoise), attack, noiseOnly, attackOnly, runAttack: report ? runAttack : attack / n, saturated });
      }
      const hit = perEpsilon.find((p) => !p.saturated && p.noiseOnly >= options.minNoiseOnly);
      // the paired counts only where the attack was re-run (a saturated ε is not compared)
      const compared = perEpsilon.filter((p) => !p.saturated);
      const evidence = {
        epsilons: perEpsilon.map((p) => p.epsilon),
        noiseSuccessRates: perEpsilon.map((p) => round(p.noise / n)),
        attackSuccessRates: perEpsilon.map((p) => round(p.runAttack)),
        correctSamples: n,
        comparedEpsilons: compared.map((p) => p.epsilon),
        noiseBroken: compared.map((p) => p.noise),
        attackBroken: compared.map((p) => p.attack),
        noiseOnly: compared.map((p) => p.noiseOnly),
        attackOnly: compared.map((p) => p.attackOnly),
        draws: options.draws,
        minNoiseOnly: options.minNoiseOnly,
      };
      if (hit) {
        return {
          status: 'flagged',
          evidence,
          detail: `at ε = ${hit.epsilon}, ${options.draws} random perturbations per sample broke ${hit.noise} of ${n} correct samples, the attack ${hit.attack}, of which noise-only ${hit.noiseOnly} (samples inside the ball that the attack missed)`,
        };
      }
      return { status: 'clear', evidence };
    } finally {
      verifier.dispose();
    }
  },
});
