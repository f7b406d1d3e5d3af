/** End-to-end runs of `rampart certify --method ibp|crown|alpha-crown` on a few MNIST digits. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeOnnxModel } from '../../src/engine/onnx/build.js';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-bounds-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart certify --method ibp|crown|alpha-crown', () => {
  it('CROWN on builtin:mnist-mlp: ResultEnvelope with certified accuracy per ε next to PGD robust accuracy, radius by bisection', async () => {
    const out = path.join(dir, 'crown.json');
    const run = await runCli(['certify', '--method', 'crown', '--model', 'builtin:mnist-mlp', '--limit', '8', '--eps', '0.005,0.02', '--radius', '--seed', '2', '--json', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(result);
    expect(result).toMatchObject({ schemaVersion: 1, seed: 2, data: { spec: 'mnist:test', count: 8 }, model: { spec: 'builtin:mnist-mlp', numClasses: 10 } });
    const m = result.metrics;
    expect(m.method).toBe('crown');
    expect(m.certified.threat).toEqual({ norm: 'linf', epsilons: [0.005, 0.02], bounds: [0, 1] });
    const [small, large] = m.certified.methods[0].results;
    expect(small.epsilon).toBe(0.005);
    // Certified accuracy shrinks with ε and never exceeds clean or PGD robust accuracy.
    expect(large.certifiedAccuracy).toBeLessThanOrEqual(small.certifiedAccuracy);
    expect(small.certifiedAccuracy).toBeLessThanOrEqual(m.certified.clean.accuracy);
    expect(small.certifiedAccuracy).toBeGreaterThan(0.5);
    expect(m.pgd.results.map((r: { epsilon: number }) => r.epsilon)).toEqual([0.005, 0.02]);
    m.pgd.results.forEach((r: { robustAccuracy: number }, i: number) => expect(m.certified.methods[0].results[i].certifiedAccuracy).toBeLessThanOrEqual(r.robustAccuracy));
    expect(m.contradictions).toEqual([]);
    // Certified radii: 0 for misclassified digits; each radius is certified, so a digit certified at 0.005 has radius ≥ 0.005 (up to the bisection grid).
    const radius = m.certified.methods[0].radius;
    expect(radius.perSample).toHaveLength(8);
    const certifiedAtSmall = m.certified.perSample.certified.crown[0];
    radius.perSample.forEach((r: number, i: number) => {
      if (certifiedAtSmall[i] === 1) expect(r).toBeGreaterThanOrEqual(0.005 - 0.25 / 2 ** 12);
      if (m.certified.perSample.predicted[i] !== -1 && r > 0.02 + 1e-6) expect(m.certified.perSample.certified.crown[1][i]).toBe(1);
    });
  });

  it('prints the table with IBP, PGD robust accuracy and clean accuracy; α-CROWN with --no-pgd', async () => {
    const run = await runCli(['certify', '--method', 'ibp', '--model', 'builtin:mnist-cnn', '--limit', '4', '--eps', '0.001,0.01']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/clean accuracy \d+\.\d+%/);
    expect(run.stdout).toMatch(/certified \(ibp\)\s+PGD robust/);
    expect(run.stdout).toMatch(/0\.001\s+\d+\.\d+%\s+\d+\.\d+%/);
    const alpha = await runCli(['certify', '--method', 'alpha-crown', '--model', 'builtin:mnist-mlp', '--limit', '4', '--eps', '0.01', '--no-pgd', '--json']);
    expect(alpha.status, alpha.stderr).toBe(0);
    const m = JSON.parse(alpha.stdout).metrics;
    expect(m.pgd).toBeNull();
    expect(m.certified.methods[0].method).toBe('alpha-crown');
  });

  it('bad input: one line, exit 2 (bad --eps; a model with unsupported ops lists them all)', async () => {
    const bad = await runCli(['certify', '--method', 'crown', '--model', 'builtin:mnist-mlp', '--eps', '0.01,abc']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--eps must be a comma-separated list/);
    const file = path.join(dir, 'softmax.onnx');
    fs.writeFileSync(
      file,
      encodeOnnxModel({
        inputs: [{ name: 'x', dims: ['N', 28, 28, 1] }],
        outputs: [{ name: 'y' }],
        initializers: [{ name: 'w', dims: [784, 10], data: new Array(7840).fill(0.01) }],
        nodes: [
          { opType: 'Flatten', inputs: ['x'], outputs: ['f'], attributes: { axis: 1 } },
          { opType: 'MatMul', inputs: ['f', 'w'], outputs: ['z'] },
          { opType: 'Elu', inputs: ['z'], outputs: ['e'] },
          { opType: 'Softmax', inputs: ['e'], outputs: ['y'] },
        ],
      }),
    );
    const run = await runCli(['certify', '--method', 'crown', '--model', file, '--limit', '2', '--no-pgd']);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/Elu.*Softmax|Softmax.*Elu/);
  });
});
