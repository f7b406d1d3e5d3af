/**
 * `rampart audit` end to end on a tiny suite through the built CLI: results.json (valid against
 * schema/results.schema.json, every section with method, parameters, metrics, timing), card.md, gallery PNGs,
 * the manifest (versions, sha256 of model and data, resolved config, seed), and determinism (same command and
 * seed → same metrics and gallery images).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import type { CliRun } from '../helpers/cli.js';
import { runCli } from '../helpers/cli.js';
import { expectValidResultsFile } from '../helpers/json-schema.js';
import type { AuditResults } from '../../src/report/audit/results.js';

export const TINY_SUITE = `
seed: 5
sections:
  - type: clean
    samples: 60
  - type: robustness
    samples: 12
    epsilons: [0.1, 0.3]
    attacks: [{id: fgsm}, {id: pgd, options: {steps: 5}}]
    gallery: 2
  - type: corruptions
    samples: 30
    corruptions: [fog, shot-noise]
    baseline: builtin:mnist-mlp
    gallery: 1
  - type: ood
    samples: 40
    sets: [noise, uniform]
  - type: calibration
    samples: 60
  - type: stability
    samples: 6
    frames: 4
    sequences: [translate, gaussian-noise]
  - type: certification
    method: crown
    samples: 3
    epsilons: [0.01]
`;

/** Metrics with every wall-clock field removed (seconds, rates, timestamps), for determinism checks. */
export function timeless(results: AuditResults): unknown {
  const drop = new Set(['seconds', 'samplesPerSecond', 'timing', 'startedAt', 'finishedAt', 'totalSeconds']);
  return JSON.parse(JSON.stringify({ sections: results.sections, summary: results.summary, gallery: results.gallery }), (key, value: unknown) => (drop.has(key) ? undefined : value));
}

describe('rampart audit (tiny suite)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-e2e-'));
  const config = path.join(dir, 'tiny.yaml');
  const outA = path.join(dir, 'a');
  let run: CliRun;
  let results: AuditResults;

  beforeAll(async () => {
    fs.writeFileSync(config, TINY_SUITE);
    run = await runCli(['audit', '--config', config, '--out', outA, '--require', 'cleanAccuracy >= 0.5', '--require', 'robustAccuracy[linf,0.3] <= 1']);
    results = JSON.parse(fs.readFileSync(path.join(outA, 'results.json'), 'utf8')) as AuditResults;
  }, 120_000);

  it('writes a schema-valid results.json with every section, the summary and the manifest', async () => {
    expect(run.status, run.stderr).toBe(0);
    expectValidResultsFile(path.join(outA, 'results.json'));
    expect(results.status).toBe('complete');
    expect(results.sectionOrder).toEqual(['clean', 'robustness', 'corruptions', 'ood', 'calibration', 'stability', 'crown']);
    for (const id of results.sectionOrder) {
      const s = results.sections[id];
      expect(s.method.length, id).toBeGreaterThan(0);
      expect(s.timing.seconds, id).toBeGreaterThanOrEqual(0);
      expect(Object.keys(s.parameters).length, id).toBeGreaterThan(0);
      if (s.status === 'ok') expect(s.metrics, id).not.toBeNull();
      else expect(s.reason, id).toBeTruthy();
    }
    const robustness = results.sections.robustness;
    expect(robustness.status).toBe('ok');
    if (robustness.type !== 'robustness' || !robustness.metrics) throw new Error('robustness metrics missing');
    const threat = robustness.metrics.threats[0];
    expect(threat.attacks.map((a) => a.id)).toEqual(['fgsm', 'pgd']);
    expect(threat.attacks[1].parameters).toMatchObject({ steps: 5 });
    // the worst case is never above any single attack, and robust accuracy ≤ clean accuracy
    for (const [e, w] of threat.worstCase.entries()) {
      for (const a of threat.attacks) expect(w.robustAccuracy).toBeLessThanOrEqual(a.results[e].robustAccuracy);
      expect(w.robustAccuracy).toBeLessThanOrEqual(robustness.metrics.cleanAccuracy);
    }
    expect(results.summary.robustAccuracy.filter((r) => r.attack === 'worst-case').map((r) => r.epsilon)).toEqual([0.1, 0.3]);
    expect(results.summary.cleanAccuracy).toBeGreaterThan(0.9);
    expect(results.summary.mCE).not.toBeNull();
    expect(Object.keys(results.summary.oodAuroc).sort()).toEqual(['noise', 'uniform']);
    expect(results.summary.ece).not.toBeNull();
    expect(results.summary.meanFlipProbability).not.toBeNull();
    const m = results.manifest;
    expect(m.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.data).toMatchObject({ spec: 'mnist:test', count: 60, sampleShape: [28, 28, 1] });
    expect(m.environment.node).toBe(process.version);
    expect(m.environment.tfjs).toMatch(/^\d+\.\d+/);
    expect(m.seed).toBe(5);
    expect(m.config).toMatchObject({ seed: 5, model: 'builtin:mnist-cnn', data: 'mnist:test' });
    expect(m.timings.map((t) => t.section)).toEqual(results.sectionOrder);
    expect(m.command).toContain('audit --config');
    // progress per section on stderr, the summary table and total time on stdout
    expect(run.stderr).toMatch(/\[1\/7\] clean: ok/);
    expect(run.stdout).toMatch(/^section\s+status/m);
    expect(run.stdout).toMatch(/total time \d+\.\d s/);
    // gates: the table on stdout and junit.xml beside the results; the HTML report beside them too
    expect(run.stdout).toMatch(/all 2 gates passed/);
    expect(fs.readFileSync(path.join(outA, 'junit.xml'), 'utf8')).toMatch(/<testsuite[^>]*tests="2"[^>]*failures="0"/);
    expect(fs.readFileSync(path.join(outA, 'index.html'), 'utf8')).toMatch(/<html/i);
  });

  it('certification reports numbers only when it computed them; a skip carries its reason', async () => {
    const crown = results.sections.crown;
    if (crown.status === 'skipped') {
      expect(crown.metrics).toBeNull();
      expect(crown.reason).toBeTruthy();
      expect(results.summary.certifiedAccuracy).toEqual([]);
    } else {
      expect(crown.status).toBe('ok');
      expect(results.summary.certifiedAccuracy.length).toBeGreaterThan(0);
    }
  });

  it('writes gallery PNGs (files and data URIs) for adversarial and corrupted examples', async () => {
    const kinds = new Set(results.gallery.map((g) => g.kind));
    expect(kinds).toEqual(new Set(['adversarial', 'corruption']));
    for (const g of results.gallery) {
      for (const image of [g.original, g.perturbed, g.difference]) {
        const bytes = fs.readFileSync(path.join(outA, image.file!));
        expect(bytes.subarray(1, 4).toString()).toBe('PNG');
        expect(image.dataUri).toBe(`data:image/png;base64,${bytes.toString('base64')}`);
      }
      expect(g.perturbation.linf).toBeGreaterThan(0);
      if (g.kind === 'adversarial') {
        expect(g.perturbation.linf).toBeLessThanOrEqual(g.attack!.epsilon + 1e-6);
        expect(g.perturbedPrediction.label).not.toBe(g.trueLabel);
      }
    }
  });

  it('writes card.md with the threat model, results, limitations and the command to reproduce', async () => {
    const card = fs.readFileSync(path.join(outA, 'card.md'), 'utf8');
    expect(card).toMatch(/^# Robustness card: builtin:mnist-cnn/);
    expect(card).toMatch(/## Threat model[\s\S]*linf ball, ε ∈ \{0\.1, 0\.3\}/);
    expect(card).toMatch(/\| robust accuracy, worst case, linf ε = 0\.3 \|/);
    expect(card).toMatch(/## Known limitations/);
    expect(card).toContain(`npx rampart audit --config ${config} --out ${outA}`);
    if (results.sections.crown.status === 'skipped') expect(card).toMatch(/Section \*\*crown\*\* skipped/);
  });

  it('same command and seed give the same metrics and images (and a failing gate exits 1)', async () => {
    const outB = path.join(dir, 'b');
    const again = await runCli(['audit', '--config', config, '--out', outB, '--require', 'cleanAccuracy >= 1.01']);
    expect(again.status, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/1 of 1 gates failed/);
    expect(fs.readFileSync(path.join(outB, 'junit.xml'), 'utf8')).toMatch(/<failure/);
    const second = expectValidResultsFile(path.join(outB, 'results.json')) as AuditResults;
    expect(timeless(second)).toEqual(timeless(results));
    expect(second.manifest.data.sha256).toBe(results.manifest.data.sha256);
    expect(second.manifest.configSha256).toBe(results.manifest.configSha256);
  }, 120_000);
});
