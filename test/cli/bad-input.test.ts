/**
 * Every bad input gets one clear message naming the problem and the fix, exit code 2 and no stack trace.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { writeNpzFile } from '../../src/data/index.js';
import { onnxTypes } from '../../src/engine/onnx/proto.js';
import { runCli, type CliRun } from '../helpers/cli.js';

let dir: string;

function expectCleanFailure(run: CliRun, pattern: RegExp): void {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(run.stderr.startsWith('rampart: ')).toBe(true);
  expect(run.stderr.match(/rampart: /g)).toHaveLength(1); // one message
}

function imagesNpz(file: string, count: number, side: number, fill: (i: number) => number, labels: number[]): Promise<void> {
  const x = Float32Array.from({ length: count * side * side }, (_, i) => fill(i));
  return writeNpzFile(file, {
    x: { data: x, shape: [count, side, side, 1] },
    y: { data: Int32Array.from(labels), shape: [count] },
  });
}

/** A one-node ONNX model using an op Rampart does not import. */
function unsupportedOpModel(): Uint8Array {
  const valueInfo = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const message = onnxTypes.ModelProto.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [
        { opType: 'Einsum', input: ['x'], output: ['a'], attribute: [{ name: 'equation', type: 3, s: Buffer.from('ij->ij') }] },
        { opType: 'Erf', input: ['a'], output: ['y'] },
      ],
      input: [valueInfo('x', [1, 10])],
      output: [valueInfo('y', [1, 10])],
    },
  });
  return onnxTypes.ModelProto.encode(message).finish();
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-cli-bad-'));
  await imagesNpz(path.join(dir, 'nan.npz'), 4, 28, (i) => (i === 900 ? NaN : 0.5), [0, 1, 2, 3]);
  await imagesNpz(path.join(dir, 'labels.npz'), 4, 28, () => 0.5, [0, 1, 12, 3]);
  await imagesNpz(path.join(dir, 'small.npz'), 4, 10, () => 0.5, [0, 1, 2, 3]);
  fs.writeFileSync(path.join(dir, 'garbage.onnx'), Buffer.from('this is not a protobuf at all \u0000\u00ff'));
  const real = fs.readFileSync(path.join(process.cwd(), 'models', 'mnist-cnn', 'model.onnx'));
  fs.writeFileSync(path.join(dir, 'truncated.onnx'), real.subarray(0, Math.floor(real.length / 3)));
  fs.writeFileSync(path.join(dir, 'unsupported.onnx'), unsupportedOpModel());
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ "modelTopology": ');
});

describe('rampart CLI: bad input', () => {
  it('missing model file', async () => {
    expectCleanFailure(await runCli(['eval', '--model', path.join(dir, 'nope.onnx'), '--data', 'mnist', '--limit', '5']), /does not exist/);
  });

  it('unknown built-in model lists the built-in ones', async () => {
    expectCleanFailure(await runCli(['info', '--model', 'builtin:imagenet']), /builtin:mnist-cnn/);
  });

  it('corrupt ONNX file', async () => {
    expectCleanFailure(await runCli(['info', '--model', path.join(dir, 'garbage.onnx')]), /not a valid ONNX model/i);
  });

  it('truncated ONNX file', async () => {
    expectCleanFailure(await runCli(['info', '--model', path.join(dir, 'truncated.onnx')]), /ONNX/);
  });

  it('unsupported ONNX ops are all named in one message', async () => {
    const run = await runCli(['info', '--model', path.join(dir, 'unsupported.onnx')]);
    expectCleanFailure(run, /Einsum/);
    expect(run.stderr).toMatch(/Erf/);
  });

  it('corrupt TF.js model.json', async () => {
    expectCleanFailure(await runCli(['info', '--model', path.join(dir, 'bad.json')]), /not valid JSON/);
  });

  it('data whose shape does not fit the model', async () => {
    expectCleanFailure(await runCli(['eval', '--model', 'builtin:mnist-cnn', '--data', `npz:${path.join(dir, 'small.npz')}`]), /\[10, 10, 1\].*\[28, 28, 1\]/);
  });

  it('labels out of range', async () => {
    expectCleanFailure(await runCli(['eval', '--model', 'builtin:mnist-cnn', '--data', `npz:${path.join(dir, 'labels.npz')}`]), /label 12/);
  });

  it('NaN pixels', async () => {
    expectCleanFailure(await runCli(['eval', '--model', 'builtin:mnist-cnn', '--data', `npz:${path.join(dir, 'nan.npz')}`]), /NaN|non-finite|finite/i);
  });

  it('unknown data spec', async () => {
    expectCleanFailure(await runCli(['eval', '--model', 'builtin:mnist-cnn', '--data', 'cifar:test']), /cifar/);
  });

  it('missing data file', async () => {
    expectCleanFailure(await runCli(['eval', '--model', 'builtin:mnist-cnn', '--data', `npz:${path.join(dir, 'none.npz')}`]), /none\.npz/);
  });

  it('bad flag values and unknown backends', async () => {
    expectCleanFailure(await runCli(['eval', '--model', 'builtin:mnist-cnn', '--limit', 'ten']), /--limit/);
    expect((await runCli(['eval', '--model', 'builtin:mnist-cnn', '--backend', 'webgl'])).status).toBe(2);
    const env = await runCli(['info', '--model', 'builtin:mnist-cnn'], { env: { RAMPART_BACKEND: 'gpu' } });
    expectCleanFailure(env, /Unknown backend "gpu"/);
  });

  it('--debug adds the stack trace', async () => {
    const run = await runCli(['info', '--debug', '--model', path.join(dir, 'garbage.onnx')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/\n\s+at /);
  });
});
