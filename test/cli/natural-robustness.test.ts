/**
 * `rampart corruptions`, `rampart ood` and `rampart calibration` end to end with small limits: JSON on the
 * result envelope, the default baseline, ONNX models (Mahalanobis through the imported graph), and bad input → exit 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('rampart corruptions / ood / calibration', () => {
  it('corruptions: mnist-c suite on 40 digits with the default baseline, --out file', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-corr-')), 'r.json');
    const run = await runCli(['corruptions', '--model', 'builtin:mnist-cnn', '--suite', 'mnist-c', '--limit', '40', '--json', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ schemaVersion: 1, command: expect.stringContaining('corruptions') });
    expect(result).toMatchObject({ schemaVersion: 1, data: { spec: 'mnist:test', count: 40 }, metrics: { suite: 'mnist-c', baselineSpec: 'builtin:mnist-mlp' } });
    expect(result.metrics.corruptions.length).toBeGreaterThanOrEqual(2);
    expect(result.metrics.mCE).toBeGreaterThan(0);
    expect(result.metrics.clean.error).toBeLessThan(0.1);
  });

  it('corruptions: --severity, --baseline none and --stability; bad suite and severity exit 2', async () => {
    const run = await runCli(['corruptions', '--model', 'builtin:mnist-mlp', '--suite', 'common', '--severity', '2', '--baseline', 'none', '--limit', '10', '--stability', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const metrics = JSON.parse(run.stdout).metrics;
    expect(metrics.mCE).toBeNull();
    expect(metrics.stability.sequences).toHaveLength(7);
    for (const s of metrics.stability.sequences) expect(typeof s.top5Distance).toBe("number");
    expect(metrics.stability.frames).toBe(30);
    expect(metrics.stability.mFR).toBeNull();
    for (const c of metrics.corruptions) expect(c.severities.map((s: { severity: number }) => s.severity)).toEqual([2]);
    expect((await runCli(['corruptions', '--model', 'builtin:mnist-mlp', '--suite', 'cifar', '--limit', '2'])).status).toBe(2);
    const bad = await runCli(['corruptions', '--model', 'builtin:mnist-mlp', '--severity', '7', '--limit', '2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--severity must be 1..5/);
  });

  it('ood: MNIST vs uniform noise with all scores; ONNX model: Mahalanobis on the last Gemm/MatMul input', async () => {
    const run = await runCli(['ood', '--model', 'builtin:mnist-cnn', '--ood', 'uniform', '--limit', '40', '--fit-limit', '200', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const metrics = JSON.parse(run.stdout).metrics;
    expect(metrics.method).toMatch(/linear interpolation/);
    for (const name of ['msp', 'max-logit', 'energy', 'odin', 'mahalanobis']) expect(metrics.scores[name].auroc).toBeGreaterThanOrEqual(0);
    expect(metrics.scores.mahalanobis.auroc).toBeGreaterThan(0.8);
    expect(metrics.mahalanobisFit).toEqual({ spec: 'mnist:train', count: 200 });
    const onnx = await runCli(['ood', '--model', 'models/mnist-cnn/model.onnx', '--ood', 'fashion-mnist:test', '--limit', '20', '--score', 'msp,mahalanobis', '--json']);
    expect(onnx.status, onnx.stderr).toBe(0);
    const onnxMetrics = JSON.parse(onnx.stdout).metrics;
    expect(onnxMetrics.scores.msp.auroc).toBeGreaterThan(0.5);
    expect(onnxMetrics.scores.mahalanobis.auroc).toBeGreaterThan(0.7);
    expect(onnxMetrics.scores.mahalanobis.note).toMatch(/Gemm|MatMul/);
    expect(onnxMetrics.misclassification.msp).toBeDefined();
    const bad = await runCli(['ood', '--model', 'builtin:mnist-cnn', '--ood', 'uniform', '--score', 'msp,bogus', '--limit', '2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown --score "bogus"/);
  });

  it('calibration: ECE, temperature and reliability bins on 200 digits', async () => {
    const run = await runCli(['calibration', '--model', 'builtin:mnist-mlp', '--limit', '200', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const metrics = JSON.parse(run.stdout).metrics;
    expect(metrics.split).toMatchObject({ fit: 100, evaluate: 100 });
    expect(metrics.uncalibrated.reliability).toHaveLength(15);
    expect(metrics.temperature).toBeGreaterThan(0.2);
    expect(metrics.temperature).toBeLessThan(5);
    expect(metrics.uncalibrated.ece).toBeLessThan(0.2);
    expect((await runCli(['calibration', '--model', 'builtin:mnist-mlp', '--data', 'fashion-mnist:test', '--limit', '1'])).status).toBe(2);
  });
});
