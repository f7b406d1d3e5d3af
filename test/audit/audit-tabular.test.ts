/**
 * The default suite on a tabular model (breast-cancer MLP, 30 features, 2 classes): image-only sections are
 * skipped with their reason, preset components that cannot run (Square on non-images, APGD-T with 2 classes)
 * are left out with a warning, and results.json still validates.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectValidResultsFile } from '../helpers/json-schema.js';
import type { AuditResults } from '../../src/report/audit/results.js';

describe('rampart audit on tabular data', () => {
  it('skips image-only sections with reasons and trims the preset', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-tabular-')), 'out');
    const run = await runCli(['audit', '--model', 'examples/tabular/model/model.json', '--data', 'csv:examples/tabular/breast-cancer-test.csv', '--limit', '16', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const results = expectValidResultsFile(path.join(out, 'results.json')) as AuditResults;
    expect(results.sections.corruptions).toMatchObject({ status: 'skipped', metrics: null });
    expect(results.sections.corruptions.reason).toMatch(/need image data/);
    expect(results.sections.stability.status).toBe('skipped');
    const robustness = results.sections['robustness-linf'];
    expect(robustness.status).toBe('ok');
    if (robustness.type !== 'robustness' || !robustness.metrics) throw new Error('no robustness metrics');
    expect(robustness.metrics.threats[0].attacks.map((a) => a.id)).toEqual(['apgd-ce']);
    expect(robustness.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/apgd-t left out: .*4 classes/), expect.stringMatching(/square left out: .*image samples/)]);
    const ood = results.sections.ood;
    if (ood.type !== 'ood' || !ood.metrics) throw new Error('no ood metrics');
    expect(ood.metrics.sets.find((s) => s.set === 'fashion-mnist')).toMatchObject({ status: 'skipped' });
    expect(results.summary.oodAuroc).not.toHaveProperty('fashion-mnist');
    expect(fs.readFileSync(path.join(out, 'card.md'), 'utf8')).toMatch(/Section \*\*corruptions\*\* skipped: image corruptions need image data/);
  }, 90_000);
});
