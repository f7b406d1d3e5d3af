/**
 * Resuming an interrupted `rampart audit`: the process is stopped right after a section is written (the
 * test-only RAMPART_AUDIT_TEST_EXIT_AFTER hook, exit 86), then the same command continues from there — earlier
 * sections are kept as written (same timestamps, `resumed: true`), the rest run, and the metrics equal those
 * of an uninterrupted run. A different seed starts fresh and says why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectValidResultsFile } from '../helpers/json-schema.js';
import type { AuditResults } from '../../src/report/audit/results.js';

const SUITE = `
seed: 2
sections:
  - type: clean
    samples: 40
  - type: robustness
    samples: 8
    epsilons: [0.2]
    attacks: [{id: fgsm}]
    gallery: 1
  - type: calibration
    samples: 40
  - type: ood
    samples: 30
    sets: [uniform]
`;

const read = (dir: string) => expectValidResultsFile(path.join(dir, 'results.json')) as AuditResults;
const timeless = (r: AuditResults) =>
  JSON.parse(JSON.stringify({ sections: r.sections, summary: r.summary, gallery: r.gallery }), (key, value: unknown) =>
    ['seconds', 'samplesPerSecond', 'timing', 'resumed'].includes(key) ? undefined : value,
  ) as unknown;

describe('rampart audit: resume', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-resume-'));
  const config = path.join(dir, 'suite.yaml');
  const out = path.join(dir, 'out');
  const args = ['audit', '--config', config, '--out', out];

  it('continues an interrupted audit from its last finished section and recomputes nothing before it', async () => {
    fs.writeFileSync(config, SUITE);

    const first = await runCli(args, { env: { RAMPART_AUDIT_TEST_EXIT_AFTER: 'robustness' } });
    expect(first.status, first.stderr).toBe(86);
    const partial = read(out);
    expect(partial.status).toBe('running');
    expect(Object.keys(partial.sections)).toEqual(['clean', 'robustness']);
    expect(fs.existsSync(path.join(out, 'card.md'))).toBe(false);
    const galleryFiles = partial.gallery.map((g) => g.original.file!);
    expect(galleryFiles).toHaveLength(1);

    const second = await runCli(args);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming the interrupted audit .*keeping clean, robustness/);
    const resumed = read(out);
    expect(resumed.status).toBe('complete');
    for (const id of ['clean', 'robustness']) {
      expect(resumed.sections[id].resumed, id).toBe(true);
      expect(resumed.sections[id].timing, id).toEqual(partial.sections[id].timing); // not recomputed
    }
    for (const id of ['calibration', 'ood']) expect(resumed.sections[id].resumed, id).toBeUndefined();
    expect(resumed.manifest.resumed).toEqual({ previousStartedAt: partial.manifest.startedAt, sections: ['clean', 'robustness'] });
    expect(resumed.manifest.timings.map((t) => [t.section, t.resumed])).toEqual([['clean', true], ['robustness', true], ['calibration', false], ['ood', false]]);
    expect(resumed.gallery.map((g) => g.original.file)).toEqual(galleryFiles);
    for (const f of galleryFiles) expect(fs.existsSync(path.join(out, f))).toBe(true);
    expect(second.stdout).toMatch(/clean\s+ok \(resumed\)/);

  }, 90_000);

  it('the resumed audit has the numbers of an uninterrupted run', async () => {
    const fresh = path.join(dir, 'fresh');
    expect((await runCli(['audit', '--config', config, '--out', fresh])).status).toBe(0);
    expect(timeless(read(fresh))).toEqual(timeless(read(out)));
  }, 60_000);

  it('a different seed cannot reuse an interrupted run: it starts over and says why', async () => {
    // mark the finished audit as interrupted (as a kill after its last section would leave it)
    const file = path.join(out, 'results.json');
    const previous = read(out);
    fs.writeFileSync(file, JSON.stringify({ ...previous, status: 'running' }));
    const reseeded = await runCli([...args, '--seed', '3']);
    expect(reseeded.status, reseeded.stderr).toBe(0);
    expect(reseeded.stderr).toMatch(/not resuming .*the suite config \(or seed, or limit\) differs/);
    const after = read(out);
    expect(after.manifest.resumed).toBeNull();
    expect(after.manifest.seed).toBe(3);
    expect(Object.values(after.sections).every((s) => s.resumed === undefined)).toBe(true);
  }, 60_000);
});
