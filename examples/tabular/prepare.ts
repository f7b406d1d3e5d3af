/**
 * Prepares the tabular example from the Wisconsin Diagnostic Breast Cancer data as Debian's python3-sklearn ships
 * it (breast_cancer.csv, copied here unchanged): min–max scales the 30 features to [0, 1] (Rampart's data
 * contract), splits 80/20 stratified with a fixed seed, and writes
 *   breast-cancer-train.csv, breast-cancer-test.csv  (30 scaled features + label: 0 malignant, 1 benign)
 *   features.json                                    (names, raw min/max, recorded resolution per feature)
 *   constraints.json                                 (the example's feature-constraint spec)
 *
 * Run: npx tsx examples/tabular/prepare.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom, permutation } from '../../src/engine/random.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const names = [
  'radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave points', 'symmetry', 'fractal dimension',
];
const featureNames = [...names.map((n) => `mean ${n}`), ...names.map((n) => `${n} error`), ...names.map((n) => `worst ${n}`)];

const lines = fs.readFileSync(path.join(here, 'breast_cancer.csv'), 'utf8').trim().split('\n');
const rows = lines.slice(1).map((l) => l.split(','));
const raw = rows.map((r) => r.slice(0, 30).map(Number));
const labels = rows.map((r) => Number(r[30]));
const min = featureNames.map((_, j) => Math.min(...raw.map((r) => r[j])));
const max = featureNames.map((_, j) => Math.max(...raw.map((r) => r[j])));
// the recorded resolution of each column: 10^-(most decimals written)
const decimals = featureNames.map((_, j) => Math.max(...rows.map((r) => (r[j].split('.')[1] ?? '').length)));
const scaled = raw.map((r) => r.map((v, j) => (v - min[j]) / (max[j] - min[j])));

// stratified 80/20 split
const random = createRandom(20221101);
const train: number[] = [];
const test: number[] = [];
for (const label of [0, 1]) {
  const members = labels.map((l, i) => (l === label ? i : -1)).filter((i) => i >= 0);
  const order = permutation(members.length, random);
  const cut = Math.round(members.length * 0.8);
  order.forEach((o, k) => (k < cut ? train : test).push(members[o]));
}
train.sort((a, b) => a - b);
test.sort((a, b) => a - b);
const header = [...featureNames.map((n) => n.replace(/ /g, '_')), 'label'].join(',');
const write = (file: string, indices: number[]) =>
  fs.writeFileSync(path.join(here, file), [header, ...indices.map((i) => [...scaled[i].map((v) => Number(v.toPrecision(8))), labels[i]].join(','))].join('\n') + '\n');
write('breast-cancer-train.csv', train);
write('breast-cancer-test.csv', test);

const features = featureNames.map((name, j) => ({ index: j, name, min: min[j], max: max[j], resolution: 10 ** -decimals[j] }));
fs.writeFileSync(path.join(here, 'features.json'), JSON.stringify({ source: 'breast_cancer.csv (Debian python3-sklearn 1.2.1)', scaling: '(raw − min) / (max − min) over all 569 rows', classes: ['malignant', 'benign'], features }, null, 2) + '\n');

// The example's threat model: the size features (radius, perimeter, area: mean, error, worst) come from a separate,
// trusted measurement and are immutable; every other feature stays within its observed range and on its recorded
// resolution (a value the laboratory software could have written).
const immutable = features.filter((f) => /radius|perimeter|area/.test(f.name)).map((f) => f.index);
const constraints = {
  features: 30,
  names: featureNames,
  immutable,
  ranges: features.filter((f) => !immutable.includes(f.index)).map((f) => ({ feature: f.index, min: 0, max: 1 })),
  grid: features.filter((f) => !immutable.includes(f.index)).map((f) => ({ feature: f.index, step: Number((f.resolution / (f.max - f.min)).toPrecision(10)), offset: Number((-f.min / (f.max - f.min)).toPrecision(10)) })),
  categorical: [],
};
fs.writeFileSync(path.join(here, 'constraints.json'), JSON.stringify(constraints, null, 2) + '\n');
console.log(`train ${train.length}, test ${test.length}; immutable ${immutable.length} features; decimals ${decimals.join(',')}`);
