/**
 * The robustness card (`card.md`): a short Markdown summary of an audit for model documentation and review, in
 * the spirit of Model Cards (Mitchell et al. 2019, https://arxiv.org/abs/1810.03993) — the threat model, the
 * protocol (methods, parameters, sample counts, seed), a results table, the known limitations (skipped and
 * failed sections, warnings, sample sizes) and the exact command that reproduces it. A pure function of
 * results.json: it renders, it does not compute.
 *
 * @example
 * fs.writeFileSync('card.md', renderCard(JSON.parse(fs.readFileSync('results.json', 'utf8'))));
 */
import type { AuditResults, SectionResult } from './audit/results.js';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);
const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : v.toFixed(digits));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** The 95 % Wilson score interval of a proportion p on n samples, as ` (lo–hi %)`. */
export function wilsonInterval(p: number, n: number): string {
  if (n <= 0) return '';
  const z = 1.96;
  const denom = 1 + (z * z) / n;
  const center = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return ` (${(Math.max(0, center - half) * 100).toFixed(1)}–${(Math.min(1, center + half) * 100).toFixed(1)})`;
}

function threatLines(results: AuditResults): string[] {
  const lines: string[] = [];
  for (const id of results.sectionOrder) {
    const s = results.sections[id];
    if (!s) continue;
    if (s.type === 'robustness') {
      const p = s.parameters as { norm?: string; epsilons?: number[]; goal?: { kind: string } };
      lines.push(`- **Adversarial (${id})**: ${p.goal?.kind ?? 'untargeted'} evasion, ${p.norm ?? '?'} ball, ε ∈ {${(p.epsilons ?? []).join(', ')}} in input units (inputs in [${results.manifest.model.bounds.join(', ')}]); white-box (gradients) unless only score-based attacks are listed.`);
    } else if (s.type === 'certification') {
      const p = s.parameters as { method?: string; norm?: string; epsilons?: number[] };
      lines.push(`- **Certified (${id})**: ${p.method} certificates in ${p.norm}, radii {${(p.epsilons ?? []).join(', ')}}.`);
    } else if (s.type === 'corruptions') {
      lines.push(`- **Natural distribution shift (${id})**: ${String((s.parameters as { suite?: string }).suite ?? '')} corruptions (no adversary).`);
    } else if (s.type === 'ood') {
      lines.push(`- **Out-of-distribution inputs (${id})**: sets ${JSON.stringify((s.parameters as { sets?: unknown }).sets ?? [])}.`);
    }
  }
  return lines.length ? lines : ['- No adversarial or shift threat model was part of this suite.'];
}

function resultRows(results: AuditResults): string[][] {
  const rows: string[][] = [];
  const sum = results.summary;
  const clean = Object.values(results.sections).find((s): s is Extract<SectionResult, { type: 'clean' }> => s.type === 'clean' && s.status === 'ok');
  if (sum.cleanAccuracy !== null) rows.push(['clean accuracy', pct(sum.cleanAccuracy) + (clean ? wilsonInterval(sum.cleanAccuracy, clean.samples) : ''), clean ? `${clean.samples}` : '', clean?.id ?? '']);
  for (const id of results.sectionOrder) {
    const s = results.sections[id];
    if (!s || s.status !== 'ok' || !s.metrics) continue;
    if (s.type === 'robustness') {
      for (const t of s.metrics.threats) for (const w of t.worstCase) rows.push([`robust accuracy, worst case, ${t.norm} ε = ${w.epsilon}`, pct(w.robustAccuracy) + wilsonInterval(w.robustAccuracy, s.metrics.count), `${s.metrics.count}`, id]);
    } else if (s.type === 'certification') {
      for (const p of s.metrics.certifiedAccuracy) rows.push([`certified accuracy, ${s.metrics.certificationMethod}, ${s.metrics.norm} r = ${p.epsilon}`, pct(p.certifiedAccuracy) + wilsonInterval(p.certifiedAccuracy, s.metrics.count), `${s.metrics.count}`, id]);
    } else if (s.type === 'corruptions') {
      rows.push([`corruption accuracy (${s.metrics.suite}, mean)`, pct(s.metrics.corruptionAccuracy), `${s.metrics.count}`, id]);
      if (s.metrics.mCE !== null) rows.push([`mCE vs ${s.metrics.baseline}`, num(s.metrics.mCE), `${s.metrics.count}`, id]);
    } else if (s.type === 'ood') {
      for (const set of s.metrics.sets) {
        const primary = set.scores.find((x) => x.score === s.metrics!.primaryScore);
        if (primary) rows.push([`OOD AUROC (${primary.score}) vs ${set.set}`, num(primary.auroc), `${s.metrics.inDistribution.count} + ${set.count}`, id]);
      }
    } else if (s.type === 'calibration') {
      rows.push([`ECE (${s.metrics.uncalibrated.bins} bins)`, pct(s.metrics.ece), `${s.metrics.uncalibrated.count}`, id]);
      rows.push([`ECE after temperature scaling (T = ${num(s.metrics.temperature, 2)})`, pct(s.metrics.calibrated.ece), `${s.metrics.calibrated.count}`, id]);
    } else if (s.type === 'stability') {
      rows.push(['mean flip probability', pct(s.metrics.meanFlipProbability), `${s.metrics.count}`, id]);
    } else if (s.type === 'validation') {
      for (const c of s.metrics.checks) rows.push([`validity: ${c.title}`, c.outcome, '', id]);
    } else if (s.type === 'sensitivity') {
      rows.push([`largest accuracy drop from one ${s.metrics.mode === 'occlusion' ? 'occluded patch' : 'nudged feature'}`, pct(s.metrics.maxAccuracyDrop), `${s.metrics.count}`, id]);
      if (s.metrics.parameters) rows.push([`prediction flip rate between ${s.metrics.parameters.runs} retrainings`, pct(s.metrics.parameters.meanPairwiseFlipRate), `${s.metrics.parameters.evaluationCount}`, id]);
    }
  }
  return rows;
}

/** A short paragraph per sensitivity / explanations section: what the decision hangs on, how explanations move. */
function understandingLines(results: AuditResults): string[] {
  const lines: string[] = [];
  for (const id of results.sectionOrder) {
    const s = results.sections[id];
    if (!s || s.status !== 'ok' || !s.metrics) continue;
    if (s.type === 'sensitivity') {
      const m = s.metrics;
      const top = m.ranking.slice(0, 3).map((u) => `${u.name} (−${pct(u.accuracyDrop)})`);
      const what = m.mode === 'occlusion' ? `Occluding ${m.settings.patch}×${m.settings.patch} patches one at a time (${m.units} patches, ${m.count} samples)` : `Nudging each of ${m.units} features by ±${m.settings.amount} (${m.count} samples)`;
      let text = `- **Sensitivity (${id})**: ${what} costs at most ${pct(m.maxAccuracyDrop)} accuracy; the most sensitive: ${top.join(', ') || 'none'}.`;
      if (m.parameters) {
        const p = m.parameters;
        text += ` Retraining ${p.runs} times on ${p.resample === 'bootstrap' ? 'bootstrap resamples' : 'noisy copies'} of ${p.train} gives accuracy ${pct(p.accuracy.mean)} ± ${pct(p.accuracy.std)} and a mean pairwise prediction flip rate of ${pct(p.meanPairwiseFlipRate)}.`;
      }
      lines.push(text);
    } else if (s.type === 'explanations') {
      const m = s.metrics;
      const moved = m.methods.flatMap((x) => x.variants.filter((v) => v.meanSimilarityToClean !== undefined).map((v) => `${x.id} ${v.name} ${num(v.meanSimilarityToClean, 2)}`));
      const variants = m.variants.map((v) => `${v.description} ${pct(v.accuracy)} accurate`).join(', ');
      lines.push(`- **Explanations (${id})**: saliency maps (${m.methods.map((x) => x.title).join(', ')}) of ${m.count} inputs (${variants}); mean cosine similarity of the perturbed inputs' maps to the clean ones: ${moved.join(', ') || 'n/a'} (1 = unchanged). The maps are in the report's gallery and under gallery/.`);
    }
  }
  return lines;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The robustness card as Markdown. */
export function renderCard(results: AuditResults): string {
  const m = results.manifest;
  const out: string[] = [];
  out.push(`# Robustness card: ${m.model.spec}`, '');
  out.push(`Audited by Rampart ${m.tool.version} on ${m.finishedAt ?? m.startedAt} (${results.status}).`, '');
  out.push('## Model and data', '');
  out.push(`- Model: \`${m.model.spec}\` (${m.model.format}), input [${m.model.inputShape.join(', ')}] in [${m.model.bounds.join(', ')}], ${m.model.numClasses} classes, sha256 \`${m.model.sha256}\``);
  out.push(`- Data: \`${m.data.spec}\`, ${m.data.count} samples loaded, sha256 of the arrays \`${m.data.sha256}\``);
  out.push(`- Environment: Node ${m.environment.node}, TF.js ${m.environment.tfjs} (${m.environment.backend}), ONNX Runtime ${m.environment.onnxruntime ?? 'n/a'}, ${m.environment.platform}/${m.environment.arch}, ${m.environment.cpus} CPUs`, '');
  out.push('## Threat model', '', ...threatLines(results), '');
  out.push('## Protocol', '');
  out.push(
    ...table(
      ['section', 'status', 'method', 'samples', 'seconds'],
      results.sectionOrder.map((id) => {
        const s = results.sections[id];
        return s ? [id, s.status + (s.resumed ? ' (resumed)' : ''), s.method, String(s.samples), s.timing.seconds.toFixed(1)] : [id, 'not run', '', '', ''];
      }),
    ),
  );
  out.push('', `Seed ${m.seed}; config sha256 \`${m.configSha256}\` (${m.configSource}); every section's full parameters are in results.json.`, '');
  out.push('## Results', '');
  const rows = resultRows(results);
  if (rows.length) out.push(...table(['metric', 'value (95 % Wilson interval, %)', 'samples', 'section'], rows));
  else out.push('No section produced numbers.');
  const understanding = understandingLines(results);
  if (understanding.length) out.push('', '## Sensitivity and explanations', '', ...understanding);
  out.push('', '## Known limitations', '');
  const limits: string[] = [];
  for (const id of results.sectionOrder) {
    const s = results.sections[id];
    if (!s) limits.push(`- Section **${id}** did not run (the audit was interrupted).`);
    else if (s.status !== 'ok') limits.push(`- Section **${id}** ${s.status}: ${s.reason ?? 'no reason given'}`);
  }
  for (const w of results.warnings) limits.push(`- Warning (${w.section ?? 'audit'}, ${w.code}): ${w.message}`);
  limits.push('- Robust accuracy from attacks is an upper bound on the true robust accuracy: a stronger attack may find more adversarial examples. Certified accuracy is a lower bound.');
  limits.push('- Figures are estimated on the sample counts above; small counts give wide intervals.');
  out.push(...limits, '');
  out.push('## Reproduce', '', '```sh', m.argv.length ? ['npx', 'rampart', ...m.argv].map((a, i) => (i < 2 ? a : shellQuote(a))).join(' ') : 'npx rampart audit', '```', '');
  out.push(`Same command, same seed and the same model and data (sha256 above) give the same metrics. Total time ${m.totalSeconds.toFixed(1)} s.`, '');
  return out.join('\n');
}
