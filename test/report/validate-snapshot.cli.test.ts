/**
 * `rampart validate-snapshot` end to end: the reference builtin:mnist-cnn against a copy with seeded noise in its
 * weights (σ = 0.6 × each tensor's std; made here, saved as TF.js). The reference is blessed over the noisy
 * copy (exit 0); the noisy copy as candidate is rejected against the reference champion (exit 1); a bad
 * policy exits 2 and writes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../src/engine/backend.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { saveNoisyCopy } from './noisy-model.js';

const policy = path.join(repoRoot, 'test', 'fixtures', 'report', 'policy.yaml');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-snapshot-'));
const noisy = path.join(dir, 'noisy-cnn');

interface Record {
  blessed: boolean;
  timestamp: string;
  tool: { version: string };
  candidate: { spec: string; sha256: string };
  champion: { spec: string; sha256: string };
  data: { count: number };
  checks: { name: string; candidate: number; champion: number; passed: boolean; thresholds: unknown; outcomes: unknown }[];
}

beforeAll(async () => {
  await setupBackend();
  await saveNoisyCopy('builtin:mnist-cnn', noisy, 0.6, 1);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart validate-snapshot', () => {
  it('blesses the reference CNN over its noisy copy (exit 0) and writes the blessing record', async () => {
    const out = path.join(dir, 'blessing.json');
    const run = await runCli(['validate-snapshot', '--candidate', 'builtin:mnist-cnn', '--champion', noisy, '--data', 'mnist:test', '--policy', policy, '--out', out, '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('BLESSED: the candidate passes every check');
    const record = JSON.parse(fs.readFileSync(out, 'utf8')) as Record;
    expect(record.blessed).toBe(true);
    expect(record.candidate.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.champion.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.candidate.sha256).not.toBe(record.champion.sha256);
    expect(Date.parse(record.timestamp)).toBeGreaterThan(Date.parse('2024-01-01'));
    expect(record.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(record.data.count).toBe(200);
    expect(record.checks.map((c) => c.name)).toEqual(['accuracy', 'corruptionAccuracy', 'oodAuroc', 'robustAccuracy', 'ece']);
    const accuracy = record.checks[0];
    // The reference CNN gets 193/200 of the first 200 test digits (rampart eval --limit 200).
    expect(accuracy.candidate).toBeCloseTo(0.965, 12);
    expect(accuracy.champion).toBeLessThan(0.9);
    expect(record.checks.every((c) => c.passed)).toBe(true);
  });

  it('rejects the noisy copy as candidate against the reference champion (exit 1)', async () => {
    const out = path.join(dir, 'rejected.json');
    const run = await runCli(['validate-snapshot', '--candidate', noisy, '--champion', 'builtin:mnist-cnn', '--policy', policy, '--out', out, '--quiet']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('NOT BLESSED');
    expect(run.stderr).toMatch(/^rampart: Not blessed: accuracy, .* failed the policy\.\n$/);
    const record = JSON.parse(fs.readFileSync(out, 'utf8')) as Record;
    expect(record.blessed).toBe(false);
    expect(record.checks[0]).toMatchObject({ passed: false, outcomes: { threshold: 'fail', minAbsoluteChange: 'fail' } });
  });

  it('exits 2 on a bad policy, listing problems per field, and writes nothing', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'samples: 0\nchecks:\n  - metric: robustAccuracy\n    epsilon: 2\n    minAbsoluteChange: x\n  - metric: accuracy\n    colour: red\n');
    const out = path.join(dir, 'never.json');
    const run = await runCli(['validate-snapshot', '--candidate', 'builtin:mnist-cnn', '--champion', noisy, '--policy', bad, '--out', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('samples: Number must be greater than or equal to 1');
    expect(run.stderr).toContain('checks[0].minAbsoluteChange: Expected number, received string');
    expect(run.stderr).toContain("checks[1]: Unrecognized key(s) in object: 'colour'");
    expect(run.stderr).not.toContain('    at ');
    expect(fs.existsSync(out)).toBe(false);
  });
});
