/**
 * The example's constrained attacks: PGD-40 on the trained MLP at several L∞ ε, without constraints and under
 * constraints.json (immutable size features, ranges, recorded resolution); checks every adversarial example
 * against every constraint and prints robust accuracy for both.
 *
 * Run: npx tsx examples/tabular/constrained-attack.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../../src/engine/tf.js';
import { setupBackend } from '../../src/engine/backend.js';
import { loadModel } from '../../src/engine/load.js';
import { openDataset, loadAll } from '../../src/data/index.js';
import { attackRegistry } from '../../src/attacks/builtin.js';
import { attackBatch } from '../../src/attacks/harness.js';
import { constraintViolations, featureConstraints } from '../../src/threat/feature-constraints.js';
import { withFeatureConstraints } from '../../src/validate/constrained-attack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
await setupBackend();
const model = await loadModel(path.join(here, 'model', 'model.json'));
const test = await loadAll(await openDataset(`csv:${path.join(here, 'breast-cancer-test.csv')}`));
const spec = featureConstraints(JSON.parse(fs.readFileSync(path.join(here, 'constraints.json'), 'utf8')));
const x = tf.tensor2d(test.x, [test.count, 30]);
const logits = await model.logits(x);
const predicted = (await tf.argMax(logits, 1).data()) as Int32Array;
logits.dispose();
const correct = predicted.reduce((a, p, i) => a + (p === test.y[i] ? 1 : 0), 0);
console.log(`clean accuracy ${((correct / test.count) * 100).toFixed(2)}% (${correct}/${test.count}); ${spec.immutable.length} immutable features`);
console.log('ε      robust (free)  robust (constrained)  violations');
for (const epsilon of [0.02, 0.05, 0.1, 0.2]) {
  const row: string[] = [String(epsilon).padEnd(6)];
  for (const attack of [attackRegistry.get('pgd'), withFeatureConstraints(attackRegistry.get('pgd'), spec)]) {
    const out = await attackBatch({ model, attack, options: { steps: 40 }, x, labels: test.y, threat: { norm: 'linf', epsilon }, seed: 0 });
    const values = (await out.xAdv.data()) as Float32Array;
    out.xAdv.dispose();
    // robust: classified correctly and not broken (attackBatch also "succeeds" on already misclassified samples)
    const robust = out.success.reduce((a, s, i) => a + (s === 0 && predicted[i] === test.y[i] ? 1 : 0), 0);
    row.push(`${((robust / test.count) * 100).toFixed(2)}%`.padEnd(attack.id === 'pgd' ? 15 : 22));
    if (attack.id !== 'pgd') row.push(String(constraintViolations(values, test.x, spec).length));
  }
  console.log(row.join(''));
}
x.dispose();
model.dispose();
