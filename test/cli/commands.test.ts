/** End-to-end runs of the built CLI on real data and the shipped models. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('rampart CLI', () => {
  it('eval --json prints the versioned result envelope with real metrics', async () => {
    const run = await runCli(['eval', '--model', 'builtin:mnist-cnn', '--data', 'mnist', '--limit', '300', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.schemaVersion).toBe(1);
    expect(result.tool.name).toBe('rampart');
    expect(result.command).toContain('rampart eval');
    expect(result.model).toMatchObject({ spec: 'builtin:mnist-cnn', format: 'tfjs-layers', inputShape: [28, 28, 1], numClasses: 10 });
    expect(result.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.data).toEqual({ spec: 'mnist:test', count: 300 });
    expect(result.metrics.accuracy).toBeGreaterThan(0.95);
    const matrix: number[][] = result.metrics.confusionMatrix;
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(300);
    const diagonal = matrix.reduce((sum, row, i) => sum + row[i], 0);
    expect(diagonal / 300).toBeCloseTo(result.metrics.accuracy, 10);
    expect(result.metrics.perClassAccuracy).toHaveLength(10);
    expect(result.timing.samplesPerSecond).toBeGreaterThan(0);
    expect(run.stderr).toBe(''); // no progress bar when stderr is not a terminal
  });

  it('eval of the exported ONNX twin gives the same accuracy as the TF.js model', async () => {
    const tfjs = JSON.parse((await runCli(['eval', '--model', 'builtin:mnist-cnn', '--limit', '500', '--json'])).stdout);
    const onnx = await runCli(['eval', '--model', 'models/mnist-cnn/model.onnx', '--limit', '500', '--json']);
    expect(onnx.status, onnx.stderr).toBe(0);
    const onnxResult = JSON.parse(onnx.stdout);
    expect(onnxResult.model.format).toBe('onnx');
    expect(onnxResult.metrics.accuracy).toBe(tfjs.metrics.accuracy);
  });

  it('eval --out writes the JSON file and prints a readable summary', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-eval-')), 'r', 'eval.json');
    const run = await runCli(['eval', '--model', 'builtin:mnist-mlp', '--limit', '200', '--offset', '100', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/accuracy\s+\d+\.\d+%/);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).data.count).toBe(200);
  });

  it('info describes TF.js and ONNX models', async () => {
    const tfjs = JSON.parse((await runCli(['info', '--model', 'builtin:mnist-cnn', '--json'])).stdout);
    expect(tfjs).toMatchObject({ format: 'tfjs-layers', inputShape: [28, 28, 1], numClasses: 10, whiteBoxGradients: true });
    expect(tfjs.parameterCount).toBe(225_034);
    expect(tfjs.opTypes).toEqual(expect.arrayContaining(['Conv2D', 'MaxPooling2D', 'Dense']));
    const onnx = await runCli(['info', '--model', 'models/mnist-cnn/model.onnx', '--json']);
    expect(onnx.status, onnx.stderr).toBe(0);
    const onnxInfo = JSON.parse(onnx.stdout);
    expect(onnxInfo).toMatchObject({ format: 'onnx', numClasses: 10, whiteBoxGradients: true, parameterCount: 225_034 });
    expect(onnxInfo.opTypes).toEqual(expect.arrayContaining(['Conv', 'MaxPool', 'Relu']));
    const text = await runCli(['info', '--model', 'builtin:mnist-mlp']);
    expect(text.stdout).toMatch(/parameters\s+269322/);
  });

  it('train then export: a tiny MLP end to end', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-train-'));
    const out = path.join(dir, 'mlp');
    const run = await runCli(['train', '--arch', 'mlp', '--data', 'mnist:train', '--limit', '600', '--epochs', '2', '--batch-size', '64', '--seed', '3', '--out', out, '--json']);
    expect(run.status, run.stderr).toBe(0);
    for (const file of ['model.json', 'weights.bin', 'model.onnx', 'rampart.json']) expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    const sidecar = JSON.parse(fs.readFileSync(path.join(out, 'rampart.json'), 'utf8'));
    expect(sidecar).toMatchObject({ arch: 'mlp', seed: 3, data: 'mnist:train', testData: 'mnist:test', trainCount: 600 });
    expect(sidecar.history).toHaveLength(2);
    expect(sidecar.testAccuracy).toBeGreaterThan(0.5);
    expect(sidecar.onnxCheck.maxAbsLogitDifference).toBeLessThanOrEqual(1e-4);
    // the trained model evaluates to the accuracy recorded in its sidecar
    const evaluated = JSON.parse((await runCli(['eval', '--model', out, '--data', 'mnist:test', '--json'])).stdout);
    expect(evaluated.metrics.accuracy).toBeCloseTo(sidecar.testAccuracy, 10);
    const exported = path.join(dir, 'again.onnx');
    const exportRun = await runCli(['export', '--model', out, '--format', 'onnx', '--out', exported, '--json']);
    expect(exportRun.status, exportRun.stderr).toBe(0);
    expect(JSON.parse(exportRun.stdout).check.maxAbsLogitDifference).toBeLessThanOrEqual(1e-4);
    expect(fs.statSync(exported).size).toBeGreaterThan(100_000);
  });

  it('same seed, same model', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-seed-'));
    const args = (out: string) => ['train', '--arch', 'mlp', '--limit', '300', '--epochs', '1', '--seed', '9', '--out', out, '--quiet'];
    expect((await runCli(args(path.join(dir, 'a')))).status).toBe(0);
    expect((await runCli(args(path.join(dir, 'b')))).status).toBe(0);
    const a = fs.readFileSync(path.join(dir, 'a', 'weights.bin'));
    const b = fs.readFileSync(path.join(dir, 'b', 'weights.bin'));
    expect(a.equals(b)).toBe(true);
  });
});
