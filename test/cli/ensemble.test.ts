/**
 * `rampart ensemble` end to end on a tiny MNIST bagging run: the JSON result and folder, seeded repeatability, and
 * the folder through `attack` (tfjs gradients), its single-graph model.onnx through `attack` (ONNX Runtime
 * gradients), and `eval` with the disagreement figures. Part 2: ensemble-combine.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-ensemble-cli-'));
});

const tiny = ['--model', 'mlp', '--data', 'mnist:train', '--limit', '300', '--val-split', '50', '--epochs', '2', '--batch-size', '32', '--lr', '0.01', '--test-limit', '200', '-q'];

describe('rampart ensemble', () => {
  it('bagging: JSON result, folder, single-graph ONNX, repeatable with the seed; attack and eval take the folder', async () => {
    const out = path.join(dir, 'bag');
    const run = await runCli(['ensemble', '--method', 'bagging', '--members-count', '2', ...tiny, '--seed', '4', '--out', out, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ schemaVersion: 1, seed: 4, data: { spec: 'mnist:test', count: 200 }, model: { spec: out, numClasses: 10, inputShape: [28, 28, 1] } });
    expect(result.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    const m = result.metrics;
    expect(m).toMatchObject({ method: 'bagging', voting: 'soft', members: ['member-0', 'member-1'], weights: [0.5, 0.5], trainCount: 250 });
    expect(m.figures.memberAccuracy).toHaveLength(2);
    expect(m.figures.accuracy).toBeGreaterThan(0.5);
    expect(m.figures.meanDisagreement).toBeGreaterThan(0);
    expect(m.figures.meanDisagreement).toBeLessThan(0.5);
    expect(m.onnx.maxAbsLogitDifference).toBeLessThan(1e-4);
    for (const f of ['ensemble.json', 'model.onnx', 'rampart.json', 'member-0/model.json', 'member-0/model.onnx', 'member-1/weights.bin']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const sidecar = JSON.parse(fs.readFileSync(path.join(out, 'rampart.json'), 'utf8'));
    expect(sidecar).toMatchObject({ kind: 'ensemble', method: 'bagging', seed: 4, data: 'mnist:train', testAccuracy: m.figures.accuracy });
    expect(sidecar.command).toContain('rampart ensemble');

    // same seed, same members (bit for bit)
    const again = path.join(dir, 'bag-again');
    expect((await runCli(['ensemble', '--method', 'bagging', '--members-count', '2', ...tiny, '--seed', '4', '--out', again])).status).toBe(0);
    for (const f of ['member-0/weights.bin', 'member-1/weights.bin']) expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(out, f))), f).toBe(true);

    const attack = await runCli(['attack', '--model', out, '--data', 'mnist', '--limit', '30', '--attack', 'pgd', '--eps', '0.1', '--steps', '5', '--json']);
    expect(attack.status, attack.stderr).toBe(0);
    const a = JSON.parse(attack.stdout);
    expect(a.attacks[0].results[0].robustAccuracy).toBeLessThan(a.clean.accuracy);
    const onnxAttack = await runCli(['attack', '--model', path.join(out, 'model.onnx'), '--data', 'mnist', '--limit', '30', '--attack', 'pgd', '--eps', '0.1', '--steps', '5', '--json']);
    expect(onnxAttack.status, onnxAttack.stderr).toBe(0);
    const o = JSON.parse(onnxAttack.stdout);
    expect(o.clean.accuracy).toBe(a.clean.accuracy);
    expect(o.attacks[0].gradients ?? o.attacks[0].results[0].robustAccuracy).toBeDefined();
    expect(o.attacks[0].results[0].robustAccuracy).toBeLessThan(o.clean.accuracy);

    const evaluated = await runCli(['eval', '--model', out, '--data', 'mnist', '--limit', '200', '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const e = JSON.parse(evaluated.stdout).metrics;
    expect(e.accuracy).toBeCloseTo(m.figures.accuracy, 10);
    expect(e.ensemble).toMatchObject({ members: 2, memberAccuracy: m.figures.memberAccuracy, meanDisagreement: m.figures.meanDisagreement });
    // disagreement points at the errors: the low-disagreement half is at least as accurate as the high half
    expect(e.ensemble.lowDisagreementAccuracy).toBeGreaterThanOrEqual(e.ensemble.highDisagreementAccuracy);
  });
});
