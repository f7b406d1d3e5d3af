/** `rampart attack` end to end on the shipped MNIST CNN, and every bad input (exit 2, one line, no stack). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { readNpzFile } from '../../src/data/index.js';
import { runCli, type CliRun } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-attack-'));
});

function expectCleanFailure(run: CliRun, pattern: RegExp): void {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
}

describe('rampart attack', () => {
  it('fgsm,pgd over a list of ε: the JSON result, the file and the adversarial NPZ', async () => {
    const out = path.join(dir, 'r', 'attack.json');
    const npz = path.join(dir, 'adv', 'adv.npz');
    const args = ['attack', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--limit', '40', '--attack', 'fgsm,pgd', '--eps', '0.1,0.3', '--steps', '10', '--seed', '3'];
    const run = await runCli([...args, '--json', '--out', out, '--save-adversarial', npz]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(result);
    expect(result).toMatchObject({ schemaVersion: 1, seed: 3, data: { spec: 'mnist:test', count: 40 }, model: { spec: 'builtin:mnist-cnn', numClasses: 10 } });
    expect(result.command).toContain('rampart attack');
    expect(result.threat).toEqual({ norm: 'linf', goal: { kind: 'untargeted' }, bounds: [0, 1], epsilons: [0.1, 0.3] });
    expect(result.verifier.kind).toBe('onnxruntime');
    expect(result.clean.accuracy).toBeGreaterThan(0.9);
    expect(result.attacks.map((a: { id: string }) => a.id)).toEqual(['fgsm', 'pgd']);
    const [fgsm, pgd] = result.attacks;
    expect(pgd.params).toMatchObject({ steps: 10, relStepSize: 0.25, randomStart: true, restarts: 1, loss: 'cross-entropy' });
    expect(fgsm.params).toEqual({ loss: 'cross-entropy' });
    for (const attack of result.attacks) {
      expect(attack.norm).toBe('linf');
      expect(attack.results).toHaveLength(2);
      for (const r of attack.results) {
        expect(Object.keys(r)).toEqual(expect.arrayContaining(['epsilon', 'robustAccuracy', 'attackSuccessRate', 'invalid', 'perturbation', 'queries', 'seconds']));
        expect(Object.keys(r.perturbation)).toEqual(expect.arrayContaining(['mean', 'median', 'p90']));
        expect(r.invalid).toBe(0);
        expect(r.robustAccuracy).toBeLessThanOrEqual(result.clean.accuracy);
        if (r.perturbation.median !== null) expect(r.perturbation.median).toBeLessThanOrEqual(r.epsilon + 1e-6);
      }
    }
    expect(fgsm.results[0].queries.perSample).toEqual({ forward: 0, gradient: 1 });
    expect(pgd.results[1].robustAccuracy).toBeLessThanOrEqual(fgsm.results[1].robustAccuracy);
    expect(result.worstCase).toHaveLength(2);
    result.worstCase.forEach((w: { norm: string; epsilon: number; robustAccuracy: number }, e: number) => {
      expect(w.norm).toBe('linf');
      expect(w.robustAccuracy).toBeLessThanOrEqual(Math.min(fgsm.results[e].robustAccuracy, pgd.results[e].robustAccuracy));
    });
    expect(result.metrics.cleanAccuracy).toBe(result.clean.accuracy);

    const arrays = await readNpzFile(npz);
    expect(arrays.x_adv.shape).toEqual([40, 28, 28, 1]);
    expect(arrays.x_adv.dtype).toBe('float32');
    expect(arrays.y.shape).toEqual([40]);
    expect(arrays.success.dtype).toBe('bool');
    expect(Array.from(arrays.epsilon.data)).toEqual([Math.fround(0.3)]);
    const successes = Array.from(arrays.success.data as Uint8Array).reduce((a, b) => a + b, 0);
    expect(successes / 40).toBeCloseTo(result.clean.accuracy - result.worstCase[1].robustAccuracy, 10);
  });

  it('prints a readable table; the autoattack preset says which components ran (all three)', async () => {
    const run = await runCli(['attack', '--model', 'builtin:mnist-cnn', '--limit', '10', '--preset', 'autoattack', '--eps', '0.3', '--steps', '5']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/preset\s+autoattack: ran apgd-ce → apgd-t → square\n/);
    expect(run.stdout).toMatch(/worst case\s+0\.3/);
    const json = JSON.parse((await runCli(['attack', '--model', 'builtin:mnist-cnn', '--limit', '10', '--preset', 'autoattack', '--eps', '0.3', '--steps', '5', '--json'])).stdout);
    expect(json.preset).toEqual({ name: 'autoattack', components: ['apgd-ce', 'apgd-t', 'square'], ran: ['apgd-ce', 'apgd-t', 'square'], missing: [] });
    expect(json.cascade).toBe(true);
  });

  it('targeted runs record the goal', async () => {
    const run = await runCli(['attack', '--model', 'builtin:mnist-mlp', '--limit', '10', '--attack', 'pgd', '--steps', '5', '--eps', '0.2', '--targeted', 'least-likely', '--norm', 'l2', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.threat.goal).toEqual({ kind: 'targeted', targets: 'least-likely' });
    expect(result.threat.norm).toBe('l2');
  });

  describe('bad input: exit 2 with one line', () => {
    const base = ['attack', '--model', 'builtin:mnist-cnn', '--limit', '5'];
    it('unknown attack', async () => expectCleanFailure(await runCli([...base, '--attack', 'pgd,nope', '--eps', '0.1']), /Unknown attack "nope"\. Available attacks: fgsm, bim, pgd/));
    it('no attack and no preset, or both', async () => {
      expectCleanFailure(await runCli([...base, '--eps', '0.1']), /--attack .* or --preset/);
      expectCleanFailure(await runCli([...base, '--attack', 'pgd', '--preset', 'autoattack', '--eps', '0.1']), /either --attack or --preset/);
    });
    it('bad epsilons', async () => {
      expectCleanFailure(await runCli([...base, '--attack', 'pgd', '--eps', '0.1,abc']), /--eps must be a comma-separated list of numbers ≥ 0.*"abc"/);
      expectCleanFailure(await runCli([...base, '--attack', 'pgd', '--eps', '-0.1']), /--eps/);
    });
    it('a norm the attack does not support', async () => expectCleanFailure(await runCli([...base, '--attack', 'fgsm', '--norm', 'l1', '--eps', '1']), /"fgsm" does not support the l1 norm/));
    it('--steps for attacks without steps', async () => expectCleanFailure(await runCli([...base, '--attack', 'fgsm', '--eps', '0.1', '--steps', '10']), /--steps does not apply to fgsm/));
    it('a targeted goal on an attack that cannot target', async () =>
      expectCleanFailure(await runCli([...base, '--attack', 'apgd-dlr', '--eps', '0.1', '--targeted', 'random']), /"apgd-dlr" cannot run targeted/));
    it('bad flag values', async () => {
      expectCleanFailure(await runCli([...base, '--attack', 'pgd', '--eps', '0.1', '--steps', '0']), /--steps must be an integer ≥ 1/);
      const norm = await runCli([...base, '--attack', 'pgd', '--eps', '0.1', '--norm', 'l3']);
      expect(norm.status).toBe(2);
      expect(norm.stderr).toMatch(/--norm.*l3/);
    });
    it('missing model', async () => expectCleanFailure(await runCli(['attack', '--model', path.join(dir, 'nope.onnx'), '--attack', 'pgd', '--eps', '0.1']), /does not exist/));
  });
});
