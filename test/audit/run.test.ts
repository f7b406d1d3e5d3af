/**
 * runAudit in-process on a tiny suite covering every section type: no tensor leaks (the model is loaded and
 * disposed inside; bound-propagation certification is left out: src/certify's certifiedAccuracy currently keeps
 * one tensor per call, reported to its owner), results.json rewritten after each section (the afterSection hook sees it on disk), and a
 * section that throws is recorded as failed with its reason while the others still run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { setupBackend } from '../../src/engine/backend.js';
import { resolveAuditConfig } from '../../src/report/audit/config.js';
import { runAudit } from '../../src/report/audit/run.js';
import { sectionRunners } from '../../src/report/audit/registry.js';
import type { AuditResults } from '../../src/report/audit/results.js';
import { expectNoLeaks } from '../helpers/leaks.js';
import { expectSchemaValid, resultsSchema } from '../helpers/json-schema.js';

const suite = {
  seed: 1,
  sections: [
    { type: 'clean', samples: 20 },
    { type: 'robustness', samples: 4, epsilons: [0.3], attacks: [{ id: 'fgsm' }], gallery: 1 },
    { type: 'corruptions', samples: 10, corruptions: ['fog'], baseline: 'none', gallery: 1 },
    { type: 'ood', samples: 10, sets: ['uniform'] },
    { type: 'calibration', samples: 20 },
    { type: 'stability', samples: 2, frames: 2, sequences: ['rotate'] },
    { type: 'certification', method: 'randomized-smoothing', samples: 2, n: 50, n0: 10, epsilons: [0.1] },
    { type: 'validation', samples: 3, checks: ['gradient-masking'], attack: { id: 'fgsm' } },
    { type: 'sensitivity', samples: 4, patch: 14 },
    { type: 'explanations', samples: 1, methods: ['vanilla', 'integrated-gradients'], integratedGradients: { steps: 4 }, attack: { id: 'fgsm' } },
  ],
};

describe('runAudit (in-process)', () => {
  beforeAll(async () => {
    await setupBackend();
  });

  it('runs every section type without leaking tensors and writes results.json after each section', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-run-'));
    const seen: string[][] = [];
    const results = await expectNoLeaks(() =>
      runAudit({
        config: resolveAuditConfig(suite),
        configSource: 'inline',
        outDir,
        argv: ['audit'],
        afterSection: () => seen.push(Object.keys((JSON.parse(fs.readFileSync(path.join(outDir, 'results.json'), 'utf8')) as AuditResults).sections)),
      }),
    );
    expect(seen).toEqual(results.sectionOrder.map((_, i) => results.sectionOrder.slice(0, i + 1)));
    expect(Object.values(results.sections).map((s) => [s.id, s.status])).toEqual(results.sectionOrder.map((id) => [id, 'ok']));
    expectSchemaValid(resultsSchema(), JSON.parse(fs.readFileSync(path.join(outDir, 'results.json'), 'utf8')), 'results.json');
    expect(results.summary.certifiedAccuracy.map((c) => c.method)).toEqual(['randomized-smoothing']);
  }, 120_000);

  it('records a throwing section as failed with its reason and runs the rest', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-run-'));
    const original = sectionRunners.calibration;
    sectionRunners.calibration = async () => {
      throw new Error('test: calibration exploded');
    };
    try {
      const results = await runAudit({ config: resolveAuditConfig({ sections: [{ type: 'calibration', samples: 10 }, { type: 'clean', samples: 10 }] }), configSource: 'inline', outDir, argv: ['audit'] });
      expect(results.sections.calibration).toMatchObject({ status: 'failed', metrics: null });
      expect(results.sections.calibration.reason).toMatch(/internal error: Error: test: calibration exploded/);
      expect(results.sections.clean.status).toBe('ok');
      expect(results.summary.sections).toEqual({ ok: 1, skipped: 0, failed: 1 });
      expect(fs.readFileSync(path.join(outDir, 'card.md'), 'utf8')).toMatch(/Section \*\*calibration\*\* failed: internal error/);
    } finally {
      sectionRunners.calibration = original;
    }
  }, 60_000);
});
