/** `rampart transfer` end to end: mnist-mlp → mnist-cnn with a small limit, the JSON envelope, and bad input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('rampart transfer', () => {
  it('fgsm from mnist-mlp to mnist-cnn: JSON result on the shared envelope, also written to --out', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-transfer-')), 'r', 'transfer.json');
    const run = await runCli(['transfer', '--surrogate', 'builtin:mnist-mlp', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--limit', '30', '--attack', 'fgsm', '--eps', '0.1,0.3', '--seed', '2', '--json', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(result);
    expect(result).toMatchObject({
      schemaVersion: 1,
      seed: 2,
      data: { spec: 'mnist:test', count: 30 },
      model: { spec: 'builtin:mnist-cnn', numClasses: 10 },
      surrogate: { spec: 'builtin:mnist-mlp', numClasses: 10 },
      attack: { id: 'fgsm', kind: 'fixed-epsilon', requires: 'gradients' },
      threat: { norm: 'linf', goal: { kind: 'untargeted' }, epsilons: [0.1, 0.3] },
    });
    expect(result.command).toContain('rampart transfer');
    expect(result.verifiers.target).toMatch(/mnist-cnn.*ONNX Runtime/);
    expect(result.results).toHaveLength(2);
    for (const r of result.results) {
      expect(r.transferred).toBeLessThanOrEqual(r.eligible);
      expect(r.transferSuccessRate).toBeGreaterThanOrEqual(0);
      expect(r.transferSuccessRate).toBeLessThanOrEqual(1);
      expect(r.targetRobustAccuracy).toBeLessThanOrEqual(result.clean.target.accuracy);
    }
    // FGSM at ε = 0.3 transfers well between the two MNIST models (76% on 100 digits)
    expect(result.results[1].transferSuccessRate).toBeGreaterThan(0.5);
    expect(result.metrics.results.map((r: { epsilon: number }) => r.epsilon)).toEqual([0.1, 0.3]);
  });

  it('rejects an unknown attack and an option the attack does not take (exit 2, one line)', async () => {
    for (const [args, pattern] of [
      [['--attack', 'nope'], /Unknown attack "nope"/],
      [['--attack', 'fgsm', '--steps', '3'], /--steps does not apply to fgsm/],
      [['--attack-options', '[1]'], /--attack-options must be a JSON object/],
      [['--attack-options', '{"bogus":1}'], /options: .*bogus/],
    ] as const) {
      const run = await runCli(['transfer', '--surrogate', 'builtin:mnist-mlp', '--model', 'builtin:mnist-cnn', '--limit', '2', '--eps', '0.1', ...args]);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
