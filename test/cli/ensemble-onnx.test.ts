/**
 * The single-graph model.onnx of hard-voting and stacking ensembles through the CLI: `rampart ensemble --members
 * --voting hard` writes it (checked against the folder within 1e-4), `eval` on it predicts what the folder predicts,
 * a score-based attack runs on the hard-voting graph while a gradient attack fails in one line (ArgMax: black box),
 * and a stacking graph written by `saveEnsemble` is white-box (PGD runs).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { setupBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/engine/load.js';
import { TfjsModel } from '../../src/engine/tfjs-model.js';
import { StackedEnsemble } from '../../src/engine/ensemble.js';
import { createRandom } from '../../src/engine/random.js';
import { saveEnsemble } from '../../src/harden/ensemble/export.js';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-ensemble-onnx-'));
  await setupBackend();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const evalJson = async (model: string) => {
  const run = await runCli(['eval', '--model', model, '--data', 'mnist', '--limit', '60', '--json']);
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout).metrics as { accuracy: number; confusionMatrix: number[][] };
};

describe('single-graph hard-voting and stacking ensembles through the CLI', () => {
  it('hard voting: written by rampart ensemble, eval equals the folder, square runs, pgd fails cleanly', async () => {
    const hard = path.join(dir, 'hard');
    const made = await runCli(['ensemble', '--members', 'builtin:mnist-cnn,builtin:mnist-mlp', '--voting', 'hard', '--weights', '2,1', '--out', hard, '--json']);
    expect(made.status, made.stderr).toBe(0);
    const onnx = JSON.parse(made.stdout).metrics.onnx;
    expect(onnx.file).toBe(path.join(hard, 'model.onnx'));
    expect(onnx.maxAbsLogitDifference).toBeLessThan(1e-4);
    expect(JSON.parse(fs.readFileSync(path.join(hard, 'ensemble.json'), 'utf8')).onnx).toBe('model.onnx');
    const graph = await evalJson(path.join(hard, 'model.onnx'));
    expect(graph.accuracy).toBeGreaterThan(0.9);
    expect(graph.confusionMatrix).toEqual((await evalJson(hard)).confusionMatrix);

    const square = await runCli(['attack', '--model', path.join(hard, 'model.onnx'), '--data', 'mnist', '--limit', '5', '--attack', 'square', '--queries', '40', '--eps', '0.3', '--json']);
    expect(square.status, square.stderr).toBe(0);
    const result = JSON.parse(square.stdout).attacks[0];
    expect(result.id).toBe('square');
    expect(result.results[0].robustAccuracy).toBeGreaterThanOrEqual(0);
    const pgd = await runCli(['attack', '--model', path.join(hard, 'model.onnx'), '--data', 'mnist', '--limit', '5', '--attack', 'pgd', '--eps', '0.1']);
    expect(pgd.status).toBe(2);
    expect(pgd.stderr).toMatch(/attack "pgd" needs input gradients but model .*model\.onnx gives none \(black-box\); use a score- or decision-based attack/);
    expect(pgd.stderr.trim().split('\n').length).toBe(1);
  });

  it('stacking: saveEnsemble writes model.onnx, eval equals the folder, pgd runs on it (white-box)', async () => {
    const stack = path.join(dir, 'stack');
    const members = [(await loadModel('builtin:mnist-mlp')) as TfjsModel, (await loadModel('builtin:mnist-cnn')) as TfjsModel];
    const random = createRandom(2);
    // a meta-learner that mostly trusts each member's own class, with noise
    const metaWeights = Float32Array.from({ length: 2 * 10 * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 2 : 0) + 0.3 * random.normal());
    const stacked = new StackedEnsemble(members, metaWeights, new Float32Array(10));
    const saved = await saveEnsemble(stack, stacked, members.map((m) => m.layersModel));
    expect(saved.onnx.file).toBe(path.join(stack, 'model.onnx'));
    expect(saved.onnx.maxAbsLogitDifference).toBeLessThan(1e-4);
    stacked.dispose();
    const graph = await evalJson(path.join(stack, 'model.onnx'));
    expect(graph.confusionMatrix).toEqual((await evalJson(stack)).confusionMatrix);
    const pgd = await runCli(['attack', '--model', path.join(stack, 'model.onnx'), '--data', 'mnist', '--limit', '5', '--attack', 'pgd', '--eps', '0.1', '--steps', '5', '--json']);
    expect(pgd.status, pgd.stderr).toBe(0);
    const r = JSON.parse(pgd.stdout);
    expect(r.attacks[0].results[0].robustAccuracy).toBeLessThanOrEqual(r.clean.accuracy);
  });
});
