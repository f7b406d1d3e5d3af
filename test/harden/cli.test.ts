/**
 * `rampart harden` and `rampart sweep` end to end on small real data (MNIST, a few hundred digits, one epoch):
 * output folder contents, sidecar fields, per-field config errors (exit 2, one line), the sweep's JSON shape.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rampart-harden-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rampart harden', () => {
  it('trains with FGSM-RS and writes TF.js, ONNX, the sidecar, the JSONL log and a checkpoint', async () => {
    const out = path.join(dir, 'fgsm');
    const run = await runCli(['harden', '--model', 'mlp', '--data', 'mnist:train', '--limit', '300', '--val-split', '60', '--adv', 'fgsm-rs', '--eps', '0.1', '--epochs', '1', '--eval-samples', '30', '--test-limit', '100', '--augment', 'translate:pixels=1', '--out', out, '--json', '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.engine).toBe('ort');
    expect(summary.trainCount).toBe(240);
    for (const f of ['model.json', 'weights.bin', 'model.onnx', 'rampart.json', 'training.jsonl', 'checkpoint.json']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const sidecar = JSON.parse(fs.readFileSync(path.join(out, 'rampart.json'), 'utf8'));
    expect(sidecar.command).toMatch(/^rampart harden --model mlp/);
    expect(sidecar.testAccuracy).toBeGreaterThan(0.15); // chance is 0.1; one FGSM-RS epoch on 240 digits
    expect(sidecar.robustness.epsilon).toBe(0.1);
    const log = fs.readFileSync(path.join(out, 'training.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toHaveLength(1);
    expect(log[0].robustAccuracy).toBeTypeOf('number');
    expect(log[0].fgsmAccuracy).toBeTypeOf('number');
  });

  it('a YAML config with a bad field fails with exit 2 and names the field', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'model: cnn\nout: x\nadversarial:\n  method: pgd\n  epsilon: -1\nselect: best\n');
    const run = await runCli(['harden', '--config', file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/adversarial\.epsilon/);
    expect(run.stderr).toMatch(/select: use robust, clean, last, verified or weighted:W/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unknown augmentation fails with exit 2 naming the choices', async () => {
    const run = await runCli(['harden', '--model', 'mlp', '--augment', 'blur', '--epochs', '1', '--limit', '100', '--val-split', '20', '--out', path.join(dir, 'blur')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/Unknown augmentation "blur"/);
  });
});

describe('rampart sweep', () => {
  it('trains every grid point and writes points and the Pareto front', async () => {
    const file = path.join(dir, 'sweep.yaml');
    const out = path.join(dir, 'sweep');
    fs.writeFileSync(
      file,
      [
        'base:',
        '  model: mlp',
        '  data: mnist:train',
        '  limit: 200',
        '  valSplit: 40',
        '  testLimit: 100',
        '  epochs: 1',
        '  evaluation: { epsilon: 0.1, robustSamples: 30, steps: 3 }',
        'grid:',
        '  adversarial.method: [none, fgsm-rs]',
        '  adversarial.epsilon: [0.1]',
        `out: ${out}`,
        '',
      ].join('\n'),
    );
    const run = await runCli(['sweep', '--config', file, '--json', '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.points).toHaveLength(2);
    expect(result.points[1].config).toEqual({ 'adversarial.method': 'fgsm-rs', 'adversarial.epsilon': 0.1 });
    for (const p of result.points) {
      expect(p.cleanAccuracy).toBeGreaterThan(0);
      expect(p.robustAccuracy).toBeLessThanOrEqual(p.cleanAccuracy + 0.2);
    }
    expect(result.pareto.length).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(out, 'sweep.json'))).toBe(true);
  });
});
