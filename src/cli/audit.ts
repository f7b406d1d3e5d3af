/**
 * `rampart audit`: one command, a robustness report. Runs a suite (the documented default, or a YAML/JSON
 * config) over a model and data and writes `results.json`, `card.md` and `index.html` into the output folder;
 * resumes an interrupted audit in the same folder. See docs/audit.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { RampartError } from '../errors.js';
import { readAuditConfig, resolveAuditConfig, type AuditConfig } from '../report/audit/config.js';
import { explanationsHeadline, sensitivityHeadline } from '../report/audit/summary.js';
import { withIncludedResults } from '../report/audit/include.js';
import { runAudit, CARD_FILE, HTML_FILE, RESULTS_FILE, type AuditEvent } from '../report/audit/run.js';
import type { AuditResults, SectionResult } from '../report/audit/results.js';
import { renderReport } from '../report/html/index.js';
import { evaluateGates, formatGateTable, parseGate } from '../report/gate.js';
import { gateJunitXml } from '../report/junit.js';
import { globalFlags, parseInteger, startBackend } from './common.js';
import { createProgress } from './progress.js';

interface AuditFlags {
  model?: string;
  data?: string;
  config?: string;
  out: string;
  seed?: number;
  limit?: number;
  fresh?: boolean;
  layout: 'auto' | 'nchw' | 'nhwc';
  require: string[];
  include: string[];
}

/** JUnit XML of the gates, written when --require is given. */
export const JUNIT_FILE = 'junit.xml';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Default output folder of `rampart audit`. */
export const DEFAULT_AUDIT_DIR = 'rampart-audit';

/**
 * Test-only hook: when this environment variable names a section id, the process exits (status 86) right after
 * that section's results are written — an interruption at a known point, for the resume tests.
 */
export const EXIT_AFTER_ENV = 'RAMPART_AUDIT_TEST_EXIT_AFTER';

/** The suite from --config (or the default), with the command-line overrides applied and validated. */
export function auditConfigFromFlags(flags: Pick<AuditFlags, 'model' | 'data' | 'config' | 'seed' | 'limit'>): { config: AuditConfig; source: string } {
  const base = flags.config ? readAuditConfig(flags.config) : resolveAuditConfig({}, 'the default suite');
  const overrides: Record<string, unknown> = {};
  if (flags.model !== undefined) overrides.model = flags.model;
  if (flags.data !== undefined) overrides.data = flags.data;
  if (flags.seed !== undefined) overrides.seed = flags.seed;
  if (flags.limit !== undefined) overrides.limit = flags.limit;
  const config = resolveAuditConfig({ ...base, ...overrides }, flags.config ?? 'the default suite');
  return { config, source: flags.config ?? 'default' };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

function headline(section: SectionResult): string {
  if (section.status !== 'ok' || !section.metrics) return section.reason ? section.reason.split('\n')[0].slice(0, 100) : '';
  switch (section.type) {
    case 'clean':
      return `accuracy ${pct(section.metrics.cleanAccuracy)}`;
    case 'robustness':
      return section.metrics.threats.map((t) => t.worstCase.map((w) => `${t.norm} ${w.epsilon}: ${pct(w.robustAccuracy)}`).join(', ')).join('; ');
    case 'corruptions':
      return `accuracy ${pct(section.metrics.corruptionAccuracy)}${section.metrics.mCE !== null ? `, mCE ${section.metrics.mCE.toFixed(3)}` : ''}`;
    case 'ood':
      return section.metrics.sets.map((s) => `${s.set}: ${s.status === 'ok' ? `AUROC ${(s.scores.find((x) => x.score === section.metrics!.primaryScore)?.auroc ?? NaN).toFixed(3)}` : 'skipped'}`).join(', ');
    case 'calibration':
      return `ECE ${pct(section.metrics.ece)} (T-scaled ${pct(section.metrics.calibrated.ece)})`;
    case 'stability':
      return `mean flip probability ${pct(section.metrics.meanFlipProbability)}`;
    case 'certification':
      return section.metrics.certifiedAccuracy.map((p) => `r ${p.epsilon}: ${pct(p.certifiedAccuracy)}`).join(', ');
    case 'validation':
      return (['pass', 'warn', 'fail', 'skipped'] as const)
        .map((o) => [o, section.metrics!.checks.filter((c) => c.outcome === o)] as const)
        .filter(([, list]) => list.length > 0)
        .map(([o, list]) => (o === 'pass' ? `${list.length} pass` : `${o}: ${list.map((c) => c.id).join(', ')}`))
        .join('; ');
    case 'sensitivity':
      return sensitivityHeadline(section.metrics);
    case 'explanations':
      return explanationsHeadline(section.metrics);
  }
}

export function summaryTable(results: AuditResults): string {
  const rows = [['section', 'status', 'samples', 'seconds', 'result']];
  for (const id of results.sectionOrder) {
    const s = results.sections[id];
    if (!s) continue;
    rows.push([id, s.status + (s.resumed ? ' (resumed)' : ''), String(s.samples), s.timing.seconds.toFixed(1), headline(s)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('the robustness audit: clean accuracy, attacks over an ε sweep, corruptions, OOD, calibration, stability, certification → results.json, card.md, index.html')
    .option('-m, --model <spec>', 'model (default: the config\'s, else builtin:mnist-cnn)')
    .option('-d, --data <spec>', 'data (default: the config\'s, else mnist:test)')
    .option('-c, --config <file>', 'suite as YAML or JSON (default: the built-in suite, see docs/audit.md)')
    .option('-o, --out <dir>', 'output folder (results.json, card.md, index.html, gallery/)', DEFAULT_AUDIT_DIR)
    .option('--seed <n>', 'seed of every random choice (overrides the config)', parseInteger('--seed', 0))
    .option('--limit <n>', 'cap every section at n samples (quick runs)', parseInteger('--limit', 1))
    .option('--fresh', 'ignore an interrupted audit in the output folder and start over')
    .option('--include <file>', 'embed a result of rampart validate|sensitivity|explain (its JSON) as that section instead of computing it (repeatable)', collect, [])
    .option('--require <gate>', 'a gate on the results, e.g. "robustAccuracy[linf,0.1] >= 0.8" (repeatable; exit 1 if one fails; writes junit.xml)', collect, [])
    .addOption(new Option('--layout <layout>', 'input layout of an ONNX model (default: detected)').choices(['auto', 'nchw', 'nhwc']).default('auto'))
    .action(async (flags: AuditFlags, command: Command) => {
      // Validate everything before touching the output folder: a bad config writes nothing.
      const { config: suite, source } = auditConfigFromFlags(flags);
      const config = withIncludedResults(suite, flags.include);
      for (const gate of flags.require) parseGate(gate);
      if (fs.existsSync(flags.out) && !fs.statSync(flags.out).isDirectory()) {
        throw new RampartError('BAD_OPTION', `--out ${flags.out} is a file; give a folder for results.json, card.md and index.html.`);
      }
      const backend = await startBackend(command);
      const { quiet } = globalFlags(command);
      const progress = createProgress('audit', { quiet });
      const say = (line: string) => progress.log(line);
      const renderHtml = (results: AuditResults) => renderReport(results);
      const started = performance.now();
      say(`rampart audit: ${config.model} on ${config.data}, ${config.sections.length} sections, seed ${config.seed}, backend ${backend} → ${flags.out}/`);
      const onEvent = (event: AuditEvent) => {
        switch (event.kind) {
          case 'fresh':
            say(`rampart: ${event.reason}`);
            break;
          case 'resume':
            say(`rampart: resuming the interrupted audit in ${flags.out}: keeping ${event.sections.join(', ')}`);
            break;
          case 'section-start':
            say(`[${event.index + 1}/${event.total}] ${event.id}: ${event.title} (${event.samples} samples)...`);
            break;
          case 'section-progress':
            progress.update(event.done, event.total, `${event.id} ${event.note}`);
            break;
          case 'section-end': {
            progress.done();
            const s = event.section;
            say(`[${event.index + 1}/${event.total}] ${s.id}: ${s.status}${s.resumed ? ' (resumed)' : ''} in ${s.timing.seconds.toFixed(1)} s${headline(s) ? ` — ${headline(s)}` : ''}`);
            break;
          }
          case 'log':
            say(event.message);
            break;
        }
      };
      const results = await runAudit({
        config,
        configSource: source,
        outDir: flags.out,
        fresh: flags.fresh,
        layout: flags.layout,
        argv: process.argv.slice(2),
        onEvent,
        renderHtml,
        afterSection: (id) => {
          if (process.env[EXIT_AFTER_ENV] === id) {
            progress.log(`rampart: ${EXIT_AFTER_ENV}=${id}: exiting after section ${id} (test hook)`);
            process.exit(86);
          }
        },
      });
      const seconds = (performance.now() - started) / 1000;
      const gates = flags.require.length ? evaluateGates(results, flags.require) : null;
      if (gates) fs.writeFileSync(path.join(flags.out, JUNIT_FILE), gateJunitXml(gates, { name: 'rampart audit', source: path.join(flags.out, RESULTS_FILE), timestamp: results.manifest.finishedAt ?? undefined }));
      const written = [RESULTS_FILE, CARD_FILE, HTML_FILE, ...(gates ? [JUNIT_FILE] : [])].map((f) => path.join(flags.out, f));
      process.stdout.write(
        [
          summaryTable(results),
          '',
          `total time ${seconds.toFixed(1)} s (${(seconds / 60).toFixed(1)} min)`,
          `wrote      ${written.join(', ')}`,
          ...(results.warnings.length ? [`warnings   ${results.warnings.length} (see card.md)`] : []),
          ...(gates ? ['', formatGateTable(gates).trimEnd()] : []),
        ].join('\n') + '\n',
      );
      const failed = results.sectionOrder.filter((id) => results.sections[id]?.status === 'failed');
      if (failed.length > 0) {
        throw new RampartError('INTERNAL', `${failed.length} section${failed.length === 1 ? '' : 's'} failed (${failed.join(', ')}); the reasons are in ${path.join(flags.out, RESULTS_FILE)} and card.md.`);
      }
      if (gates && !gates.passed) throw new RampartError('GATE_FAILED', `${gates.failed} of ${gates.gates.length} gates failed (see the table above and ${path.join(flags.out, JUNIT_FILE)}).`);
    });
}
