/**
 * The audit suite config: defaults, strict keys, per-field errors with key paths (unknown keys, wrong types,
 * impossible ε), and the CLI contract for a bad config — one message listing every field, exit 2, nothing
 * written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { RampartError } from '../../src/errors.js';
import { canonicalJson, configSha256, DEFAULT_SECTIONS, parseAuditConfig, resolveAuditConfig, sectionSamples } from '../../src/report/audit/config.js';
import { runCli } from '../helpers/cli.js';
import { auditConfigProblems } from '../helpers/audit-config.js';

const problemsOf = auditConfigProblems;

describe('audit config', () => {
  it('an empty config is the documented default suite', () => {
    const config = resolveAuditConfig({});
    expect(config.model).toBe('builtin:mnist-cnn');
    expect(config.data).toBe('mnist:test');
    expect(config.seed).toBe(0);
    expect(config.sections.map((s) => s.id)).toEqual(['clean', 'robustness-linf', 'corruptions', 'ood', 'calibration', 'stability', 'smoothing', 'crown', 'validation', 'sensitivity', 'explanations']);
    expect(config.sections.length).toBe(DEFAULT_SECTIONS.length);
    const robustness = config.sections[1];
    expect(robustness).toMatchObject({ type: 'robustness', preset: 'autoattack', norm: 'linf', epsilons: [0.05, 0.1, 0.2, 0.3], samples: 100, cascade: true });
  });

  it('defaults are filled per section type and titles/ids resolved', () => {
    const config = resolveAuditConfig({ sections: [{ type: 'calibration' }, { type: 'certification', method: 'crown' }] });
    expect(config.sections[0]).toMatchObject({ id: 'calibration', title: 'Calibration', samples: 1000, bins: 15, fitFraction: 0.5 });
    expect(config.sections[1]).toMatchObject({ id: 'crown', title: 'Certified robustness (crown)' });
  });

  it('rejects unknown keys at every level with their key paths', () => {
    const problems = problemsOf({ seeed: 1, sections: [{ type: 'clean', sample: 10 }, { type: 'robustness', attacks: [{ id: 'pgd', option: {} }] }] });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^seeed: unknown key/),
        expect.stringMatching(/^sections\[0\]\.sample: unknown key/),
        expect.stringMatching(/^sections\[1\]\.attacks\[0\]\.option: unknown key/),
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('rejects wrong types and unknown section types per field', () => {
    const problems = problemsOf({ seed: 'zero', limit: -3, sections: [{ type: 'robustness', epsilons: '0.1' }, { type: 'vibes' }] });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^seed: Expected number, received string/),
        expect.stringMatching(/^limit: /),
        expect.stringMatching(/^sections\[0\]\.epsilons: Expected array, received string/),
        expect.stringMatching(/^sections\[1\]\.type: unknown section type; choose one of clean, robustness/),
      ]),
    );
  });

  it('rejects impossible ε: negative, L∞ beyond the [0, 1] input range, non-integer L0; accepts large L2', () => {
    const problems = problemsOf({
      sections: [
        { type: 'robustness', epsilons: [0.1, -0.2, 1.5] },
        { type: 'robustness', id: 'l0', norm: 'l0', epsilons: [2.5], attacks: [{ id: 'jsma' }] },
        { type: 'certification', method: 'crown', epsilons: [3] },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^sections\[0\]\.epsilons\[1\]: ε = -0\.2 is impossible/),
      expect.stringMatching(/^sections\[0\]\.epsilons\[2\]: ε = 1\.5 is outside \[0, 1\]/),
      expect.stringMatching(/^sections\[1\]\.epsilons\[0\]: ε = 2\.5 must be an integer/),
      expect.stringMatching(/^sections\[2\]\.epsilons\[0\]: ε = 3 is outside \[0, 1\]/),
    ]);
    expect(() => resolveAuditConfig({ sections: [{ type: 'robustness', norm: 'l2', epsilons: [1.5, 3], attacks: [{ id: 'pgd' }] }] })).not.toThrow();
  });

  it('rejects duplicate ids, unknown attacks and corruptions, preset with attacks, and a primary score not computed', () => {
    const problems = problemsOf({
      sections: [
        { type: 'clean' },
        { type: 'clean' },
        { type: 'robustness', preset: 'autoattack', attacks: [{ id: 'nope' }] },
        { type: 'corruptions', corruptions: ['fog', 'shot_noise'] },
        { type: 'ood', scores: ['energy'] },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sections\[1\]\.id: section id "clean" is already used by sections\[0\]/),
        expect.stringMatching(/^sections\[2\]\.attacks\[0\]\.id: unknown attack "nope"/),
        expect.stringMatching(/^sections\[2\]\.attacks: give either preset or attacks/),
        expect.stringMatching(/^sections\[3\]\.corruptions\[1\]: "shot_noise" is not a corruption of suite mnist-c/),
        expect.stringMatching(/^sections\[4\]\.primaryScore: primaryScore "msp" must be one of scores/),
      ]),
    );
  });

  it('parses YAML and JSON text and reports syntax errors', () => {
    const yaml = parseAuditConfig('seed: 7\nsections:\n  - type: clean\n    samples: 10\n');
    const json = parseAuditConfig('{"seed": 7, "sections": [{"type": "clean", "samples": 10}]}');
    expect(yaml).toEqual(json);
    expect(() => parseAuditConfig('seed: [1, 2', 'x.yaml')).toThrow(/x\.yaml is not valid YAML\/JSON/);
    expect(() => parseAuditConfig('- 1\n- 2\n', 'x.yaml')).toThrow(/must be a mapping/);
  });

  it('the config hash ignores key order and changes with the seed and limit', () => {
    const a = resolveAuditConfig({ seed: 1, sections: [{ type: 'clean', samples: 5 }] });
    const b = resolveAuditConfig({ sections: [{ samples: 5, type: 'clean' }], seed: 1 });
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(configSha256(a)).toBe(configSha256(b));
    expect(configSha256(resolveAuditConfig({ seed: 2, sections: [{ type: 'clean', samples: 5 }] }))).not.toBe(configSha256(a));
    expect(configSha256(resolveAuditConfig({ seed: 1, limit: 3, sections: [{ type: 'clean', samples: 5 }] }))).not.toBe(configSha256(a));
  });

  it('section sample counts: own count, capped by the global limit and the data', () => {
    const config = resolveAuditConfig({ limit: 50, sections: [{ type: 'clean' }, { type: 'robustness', samples: 20 }] });
    expect(sectionSamples(config.sections[0], config, 2000)).toBe(50);
    expect(sectionSamples(config.sections[1], config, 2000)).toBe(20);
    expect(sectionSamples(config.sections[1], config, 10)).toBe(10);
  });
});

describe('rampart audit with a bad config', () => {
  it('prints every field problem, exits 2 and writes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-config-'));
    const file = path.join(dir, 'audit.yaml');
    fs.writeFileSync(file, 'seed: 1\ncolour: red\nsections:\n  - type: robustness\n    epsilons: [0.1, 2]\n  - type: clean\n    samples: many\n');
    const out = path.join(dir, 'out');
    const run = await runCli(['audit', '--config', file, '--out', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/3 problems/);
    expect(run.stderr).toMatch(/colour: unknown key/);
    expect(run.stderr).toMatch(/sections\[0\]\.epsilons\[1\]: ε = 2 is outside \[0, 1\]/);
    expect(run.stderr).toMatch(/sections\[1\]\.samples: Expected number, received string/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a missing config file and a bad --seed exit 2 without writing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-audit-config-'));
    const out = path.join(dir, 'out');
    const missing = await runCli(['audit', '--config', path.join(dir, 'nope.yaml'), '--out', out]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const seed = await runCli(['audit', '--seed', '-1', '--out', out]);
    expect(seed.status).toBe(2);
    const gate = await runCli(['audit', '--require', 'cleanAccuracy >=', '--out', out]);
    expect(gate.status).toBe(2);
    expect(gate.stderr).toMatch(/gate "cleanAccuracy >="/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
