/**
 * Test helper: an AuditContext for running one section in-process on a given model and in-memory data (no
 * runAudit around it), so section tests can use tiny hand-made models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Model } from '../../src/engine/model.js';
import type { LoadedData } from '../../src/data/load-all.js';
import { resolveAuditConfig, sectionSamples, type SectionConfig } from '../../src/report/audit/config.js';
import type { AuditContext } from '../../src/report/audit/context.js';

/** Resolves one section config and a context for it (outDir: a fresh temp folder). */
export function sectionUnderTest<C extends SectionConfig>(section: Record<string, unknown>, model: Model, data: LoadedData, dataSpec = 'memory'): { config: C; context: AuditContext } {
  const suite = resolveAuditConfig({ seed: 3, sections: [section] });
  const config = suite.sections[0] as C;
  const context: AuditContext = {
    model,
    modelSpec: model.id,
    data,
    dataSpec,
    config: suite,
    samples: sectionSamples(config, suite, data.count),
    seed: 11,
    outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-section-')),
    layout: 'auto',
    progress: () => undefined,
    log: () => undefined,
  };
  return { config, context };
}
