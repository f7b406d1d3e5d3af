/**
 * `rampart attack` on a model with its gradients hidden (--gradients none): Square end to end from an ONNX file
 * through ONNX Runtime, the --queries budget, per-sample queries to success in the JSON, the autoattack preset with
 * Square, and clean failures (exit 2) for gradient attacks on the black box and --queries on attacks without a budget.
 */
import { describe, it, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('rampart attack --gradients none (black box)', () => {
  it('square on models/mnist-cnn/model.onnx with --queries: per-sample queries to success, repeatable', async () => {
    const args = ['attack', '--model', 'models/mnist-cnn/model.onnx', '--gradients', 'none', '--attack', 'square', '--queries', '200', '--eps', '0.3', '--limit', '12', '--seed', '4', '--json'];
    const run = await runCli(args);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    const r = result.attacks[0].results[0];
    expect(result.attacks[0].id).toBe('square');
    expect(result.attacks[0].params).toMatchObject({ queries: 200 });
    expect(result.verifier.kind).toBe('onnxruntime');
    expect(r.attackSuccessRate).toBeGreaterThanOrEqual(0.8);
    expect(r.queries.gradient).toBe(0);
    expect(r.queries.toSuccess.count).toBe(r.successes);
    expect(r.queries.toSuccess.p90).toBeLessThanOrEqual(200);
    // failures spend the whole budget, so the total bounds the successes' queries
    expect(r.queries.forward).toBe(Math.round(r.queries.toSuccess.mean * r.successes) + 200 * (r.attacked - r.successes));
    const timeless = (json: string) => JSON.parse(json, (key, value) => (key === 'seconds' ? 0 : value)).attacks;
    expect(timeless((await runCli(args)).stdout)).toEqual(timeless(run.stdout));
  });

  it('gradient attacks on the black box and --queries without a taker fail cleanly', async () => {
    const pgd = await runCli(['attack', '--model', 'models/mnist-cnn/model.onnx', '--gradients', 'none', '--attack', 'pgd', '--eps', '0.3', '--limit', '2']);
    expect(pgd.status).toBe(2);
    expect(pgd.stderr).toMatch(/needs input gradients/);
    const q = await runCli(['attack', '--model', 'builtin:mnist-cnn', '--attack', 'fgsm', '--queries', '10', '--eps', '0.3', '--limit', '2']);
    expect(q.status).toBe(2);
    expect(q.stderr).toMatch(/--queries does not apply/);
  });

  it('--preset autoattack runs apgd-ce → apgd-t → square with the query budget', async () => {
    const run = await runCli(['attack', '--model', 'builtin:mnist-cnn', '--preset', 'autoattack', '--queries', '100', '--steps', '5', '--eps', '0.05', '--limit', '8', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.preset.ran).toEqual(['apgd-ce', 'apgd-t', 'square']);
    expect(result.attacks.map((a: { id: string }) => a.id)).toEqual(['apgd-ce', 'apgd-t', 'square']);
    expect(result.attacks[2].params).toMatchObject({ queries: 100 });
  });
});
