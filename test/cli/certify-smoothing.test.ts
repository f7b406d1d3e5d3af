/** End-to-end runs of `rampart certify --method smoothing` on a few MNIST digits with small n. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clopperPearsonLower, smoothingRadius } from '../../src/certify/statistics.js';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-smoothing-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart certify --method smoothing', () => {
  const args = ['certify', '--method', 'smoothing', '--model', 'builtin:mnist-cnn', '--data', 'mnist:test', '--limit', '4', '--n', '500', '--n0', '20', '--sigma', '0.25', '--alpha', '0.01', '--radii', '0,0.25,0.5', '--seed', '3'];

  it('writes a ResultEnvelope with per-sample radii consistent with the counts, through ONNX Runtime, repeatable', async () => {
    const out = path.join(dir, 'smoothing.json');
    const run = await runCli([...args, '--json', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(result);
    expect(result).toMatchObject({ schemaVersion: 1, seed: 3, data: { spec: 'mnist:test', count: 4 }, model: { spec: 'builtin:mnist-cnn', numClasses: 10 } });
    const m = result.metrics;
    expect(m).toMatchObject({ method: 'randomized-smoothing', norm: 'l2', engine: 'onnxruntime', count: 4, forwardPasses: 4 * 520 });
    expect(m.options).toMatchObject({ sigma: 0.25, n: 500, n0: 20, alpha: 0.01 });
    expect(m.samples).toHaveLength(4);
    for (const s of m.samples) {
      const pALower = clopperPearsonLower(s.nA, 500, 0.01);
      expect(s.pALower).toBeCloseTo(pALower, 12);
      expect(s.radius).toBeCloseTo(smoothingRadius(0.25, pALower), 12);
      expect(s.prediction === -1).toBe(pALower <= 0.5);
      expect(s.correct).toBe(s.prediction === s.label);
    }
    const correct = m.samples.filter((s: { correct: boolean }) => s.correct).length;
    expect(m.certifiedAccuracy[0]).toEqual({ radius: 0, accuracy: correct / 4 });
    expect(correct).toBeGreaterThanOrEqual(2);
    expect(m.curve.length).toBe(51);
    // The largest radius n = 500 and α = 0.01 allow: σΦ⁻¹(0.01^(1/500)).
    expect(m.maxCertifiableRadius).toBeCloseTo(smoothingRadius(0.25, clopperPearsonLower(500, 500, 0.01)), 10);
    const again = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect(again.metrics.samples.map((s: { nA: number }) => s.nA)).toEqual(m.samples.map((s: { nA: number }) => s.nA));
  });

  it('prints a readable table', async () => {
    const run = await runCli(args);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/noise batches through onnxruntime/);
    expect(run.stdout).toMatch(/radius\s+certified accuracy/);
    expect(run.stdout).toMatch(/0\.250\s+\d+\.\d%/);
    expect(run.stdout).toMatch(/abstained/);
  });

  it('bad --radii and --sigma: one line, exit 2, naming the fix', async () => {
    const radii = await runCli([...args.slice(0, -6), '--radii', '0,-1']);
    expect(radii.status).toBe(2);
    expect(radii.stderr).toMatch(/--radii must be a comma-separated list/);
    const sigma = await runCli([...args, '--sigma', '0']);
    expect(sigma.status).toBe(2);
    expect(sigma.stderr).toMatch(/sigma/);
  });
});
