/**
 * `rampart certify --method ibp|crown|alpha-crown`: certified accuracy by bound propagation at each ε, printed
 * next to PGD's empirical robust accuracy at the same ε (certified ≤ true robust ≤ PGD robust) and the clean
 * accuracy; optional certified radius per sample (--radius). Thin over src/certify/certified-accuracy.ts.
 */
import type { Command } from 'commander';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { isDifferentiable } from '../engine/model.js';
import { openDataset } from '../data/index.js';
import { loadAll } from '../data/load-all.js';
import { checkDataFitsModel } from '../metrics/accuracy.js';
import { runAttacks } from '../attacks/harness.js';
import { RampartError } from '../errors.js';
import { certifiedAccuracy, type BoundMethod, type CertifiedAccuracyReport } from '../certify/certified-accuracy.js';
import { toolVersion, type ResultEnvelope } from '../report/result.js';
import { commandLine, globalFlags, printJson, startBackend, writeResultFile } from './common.js';
import { createProgress } from './progress.js';
import type { CertifyFlags } from './certify.js';

export interface BoundsCertifyMetrics {
  method: BoundMethod;
  certified: CertifiedAccuracyReport;
  /** PGD (40 steps, harness defaults) robust accuracy at the same ε; null with --no-pgd or a model without gradients. */
  pgd: { attack: 'pgd'; params: unknown; results: { epsilon: number; robustAccuracy: number }[]; seconds: number; skipped?: string } | null;
  /** Certified accuracy above PGD robust accuracy at some ε would be a contradiction (a soundness bug). */
  contradictions: { epsilon: number; certifiedAccuracy: number; robustAccuracy: number }[];
}

function parseEpsilons(text: string | undefined): number[] {
  const values = (text ?? '0.01').split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new RampartError('BAD_OPTION', `--eps must be a comma-separated list of numbers ≥ 0 (e.g. 0.005,0.01,0.02); got "${text ?? ''}".`, { eps: text });
  }
  return values;
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

export async function runBoundsCertify(flags: CertifyFlags, command: Command): Promise<void> {
  const method = flags.method as BoundMethod;
  const norm = flags.norm ?? 'linf';
  if (norm !== 'linf' && norm !== 'l2') throw new RampartError('BAD_OPTION', `--norm must be linf or l2 for bound propagation; got "${norm}".`, { norm });
  const epsilons = parseEpsilons(flags.eps);
  await startBackend(command);
  const quiet = globalFlags(command).quiet ?? false;
  const resolved = resolveModelSpec(flags.model);
  const dataset = await openDataset(flags.data, { limit: flags.limit });
  const model = await loadModel(flags.model, { layout: flags.layout });
  try {
    checkDataFitsModel(model, dataset);
    const data = await loadAll(dataset);
    const started = performance.now();
    const progress = createProgress(`certify ${method}`, { quiet });
    const certified = await certifiedAccuracy(
      model,
      data,
      { methods: [method], norm, epsilons, batchSize: flags.batchSize ?? 32, radius: flags.radius ?? false },
      (done, total, note) => progress.update(done, total, note),
    );
    progress.done();
    let pgd: BoundsCertifyMetrics['pgd'] = null;
    if (flags.pgd !== false) {
      if (!isDifferentiable(model)) {
        pgd = { attack: 'pgd', params: null, results: [], seconds: 0, skipped: 'the model gives no input gradients' };
      } else {
        const attackProgress = createProgress('pgd', { quiet });
        const report = await runAttacks({
          model,
          data: dataset,
          attacks: [{ id: 'pgd', options: {} }],
          norm,
          epsilons,
          seed: flags.seed,
          batchSize: Math.max(flags.batchSize ?? 32, 100),
          onProgress: (done, total, note) => attackProgress.update(done, total, note),
        });
        attackProgress.done();
        const entry = report.attacks[0]!;
        pgd = { attack: 'pgd', params: entry.params, results: entry.results.map((r) => ({ epsilon: r.epsilon, robustAccuracy: r.robustAccuracy })), seconds: entry.seconds };
      }
    }
    const results = certified.methods[0]!.results;
    const contradictions = pgd
      ? results.flatMap((r, i) => {
          const robust = pgd!.results[i]?.robustAccuracy;
          return robust !== undefined && r.certifiedAccuracy > robust ? [{ epsilon: r.epsilon, certifiedAccuracy: r.certifiedAccuracy, robustAccuracy: robust }] : [];
        })
      : [];
    const seconds = (performance.now() - started) / 1000;
    const result: ResultEnvelope<BoundsCertifyMetrics> = {
      schemaVersion: 1,
      tool: { name: 'rampart', version: toolVersion() },
      command: commandLine(),
      model: { spec: flags.model, format: model.format, sha256: modelSha256(resolved), inputShape: [...model.inputShape], numClasses: model.numClasses },
      data: { spec: dataset.spec, count: data.count },
      seed: flags.seed,
      metrics: { method, certified, pgd, contradictions },
      timing: { seconds, samplesPerSecond: data.count / Math.max(seconds, 1e-9) },
    };
    if (flags.out) writeResultFile(flags.out, result);
    if (flags.json) {
      printJson(result);
      return;
    }
    const m = certified.methods[0]!;
    const lines = [
      `model     ${flags.model} (${model.format}; bound graph ops: ${certified.graph.ops.join(', ')})`,
      `data      ${dataset.spec} (${data.count} samples), clean accuracy ${pct(certified.clean.accuracy)}`,
      `threat    ${norm} ball ∩ [${certified.threat.bounds.join(', ')}]; certified = every margin lower bound logit_y − logit_j > 0`,
      '',
      `${'ε'.padEnd(10)}${`certified (${method})`.padEnd(24)}${'PGD robust'.padEnd(14)}certify time`,
      ...m.results.map((r, i) => {
        const robust = pgd?.results[i] ? pct(pgd.results[i]!.robustAccuracy) : pgd?.skipped ? 'skipped' : '—';
        return `${String(r.epsilon).padEnd(10)}${pct(r.certifiedAccuracy).padEnd(24)}${robust.padEnd(14)}${r.seconds.toFixed(1)} s`;
      }),
    ];
    if (m.radius) lines.push('', `certified radius (${norm}, bisection): median ${m.radius.median.toPrecision(4)}, mean ${m.radius.mean.toPrecision(4)}, max ${m.radius.max.toPrecision(4)}`);
    if (pgd?.skipped) lines.push('', `PGD skipped: ${pgd.skipped}.`);
    lines.push('', 'certified accuracy ≤ true robust accuracy ≤ PGD robust accuracy');
    for (const c of contradictions) lines.push(`WARNING: at ε = ${c.epsilon} certified ${pct(c.certifiedAccuracy)} > PGD robust ${pct(c.robustAccuracy)}: a soundness bug, please report it.`);
    lines.push(`time      ${m.secondsPerSample.toFixed(3)} s per sample (${method}, all ε)${pgd && !pgd.skipped ? `, PGD ${pgd.seconds.toFixed(1)} s` : ''}`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    model.dispose();
  }
}
