/** End to end: `rampart verify` on fast ACAS Xu instances (built CLI), the VNN-COMP result format, and bad input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sharedDir } from '../helpers/shared.js';
import { loadReluNetwork } from '../../src/verify/network.js';
import { parseVnnlib } from '../../src/verify/vnnlib.js';
import { forwardRelu } from '../../src/verify/interval.js';
import { conjunctionMargin } from '../../src/verify/falsify.js';
import { ortForward } from '../../src/verify/verifier.js';

const acasxu = path.join(sharedDir(), 'benchmarks', 'acasxu');
const onnx = (net: string) => path.join(acasxu, 'onnx', `ACASXU_run2a_${net}_batch_2000.onnx`);
const vnnlib = (prop: number) => path.join(acasxu, 'vnnlib', `prop_${prop}.vnnlib`);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-verify-'));

describe('rampart verify', () => {
  it('proves an unsat instance and writes the result file', async () => {
    const out = path.join(tmp(), 'result.txt');
    const run = await runCli(['verify', '--onnx', onnx('4_1'), '--vnnlib', vnnlib(4), '--timeout', '30', '--out', out]);
    expect(run.stderr).toMatch(/unsat in/);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('unsat\n');
    expect(fs.readFileSync(out, 'utf8')).toBe('unsat\n');
  });

  it('prints a counterexample for a sat instance that passes an independent check', async () => {
    const run = await runCli(['verify', '--onnx', onnx('4_9'), '--vnnlib', vnnlib(2), '--timeout', '30']);
    expect(run.status).toBe(0);
    const [first, ...rest] = run.stdout.trim().split('\n');
    expect(first).toBe('sat');
    const values = new Map<string, number>();
    for (const match of rest.join('\n').matchAll(/\((X_\d+|Y_\d+) (-?[\d.e+-]+)\)/g)) values.set(match[1], Number(match[2]));
    expect(values.size).toBe(10);
    const x = Float64Array.from({ length: 5 }, (_, i) => values.get(`X_${i}`)!);
    const property = parseVnnlib(fs.readFileSync(vnnlib(2), 'utf8'));
    const { box, outputs } = property.cases[0];
    x.forEach((v, i) => expect(v >= box.lower[i] - 1e-6 && v <= box.upper[i] + 1e-6).toBe(true));
    const extracted = loadReluNetwork(onnx('4_9'));
    expect(conjunctionMargin(outputs[0], forwardRelu(extracted.network, x))).toBeLessThanOrEqual(0);
    expect(conjunctionMargin(outputs[0], await ortForward(extracted, x))).toBeLessThanOrEqual(1e-4);
    // The printed outputs are the network's outputs at the printed inputs.
    const y = forwardRelu(extracted.network, x);
    y.forEach((v, j) => expect(values.get(`Y_${j}`)).toBeCloseTo(v, 9));
  });

  it('runs an instances.csv (paths relative to it) with a summary and wrong-answer count from truth.csv', async () => {
    const dir = tmp();
    const rel = (p: string) => path.relative(dir, p);
    fs.writeFileSync(path.join(dir, 'instances.csv'), `${rel(onnx('4_1'))},${rel(vnnlib(4))},30\n${rel(onnx('4_9'))},${rel(vnnlib(2))},30\n`);
    fs.writeFileSync(
      path.join(dir, 'truth.csv'),
      `onnx,vnnlib,result\n${rel(onnx('4_1'))},${rel(vnnlib(4))},unsat\n${rel(onnx('4_9'))},${rel(vnnlib(2))},sat\n`,
    );
    const results = path.join(dir, 'results.csv');
    const run = await runCli(['verify', '--instances', path.join(dir, 'instances.csv'), '--results', results]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^solved\s+2$/m);
    expect(run.stdout).toMatch(/^ {2}unsat\s+1$/m);
    expect(run.stdout).toMatch(/^ {2}sat\s+1$/m);
    expect(run.stdout).toMatch(/^wrong \(of 2 with truth\)\s+0$/m);
    const rows = fs.readFileSync(results, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('onnx,vnnlib,result,seconds,domains,truth,wrong');
    expect(rows.slice(1).map((r) => r.split(',')[2])).toEqual(['unsat', 'sat']);
  });

  it('reports bad input in one line with exit 2', async () => {
    const dir = tmp();
    const bad = path.join(dir, 'bad.vnnlib');
    fs.writeFileSync(bad, '(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)\n');
    const parse = await runCli(['verify', '--onnx', onnx('1_1'), '--vnnlib', bad]);
    expect(parse.status).toBe(2);
    expect(parse.stderr.trim().split('\n')).toHaveLength(1);
    expect(parse.stderr).toMatch(/bad\.vnnlib:3:1: this "\(" is never closed/);

    const mismatch = await runCli(['verify', '--onnx', onnx('1_1'), '--vnnlib', path.join(sharedDir(), 'benchmarks/mnist_fc/vnnlib/prop_0_0.03.vnnlib')]);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toMatch(/784 inputs and 10 outputs but the network has 5 and 5/);

  });
});
