/**
 * Corrupted images per second for every corruption on 28×28×1 (MNIST test digits) and 32×32×3 (synthetic RGB
 * image), at severity 5 (the most expensive parameters for every blur), single thread, after a warm-up.
 * `npm run bench:corruptions` prints a Markdown table (the one in docs/corruptions.md) and checks that the
 * slowest corruption still does ≥ 500 images/s on 28×28.
 */
import { corruptionRegistry } from '../src/corruptions/builtin.js';
import type { ImageShape } from '../src/corruptions/define.js';
import { syntheticRgb } from '../src/corruptions/image/synthetic.js';
import { loadAll } from '../src/data/load-all.js';
import { openDataset } from '../src/data/open.js';
import { createRandom } from '../src/engine/random.js';

const SEVERITY = Number(process.env.SEVERITY ?? 5);
const MS = Number(process.env.BENCH_MS ?? 400);

function rate(id: string, images: Float32Array[], shape: ImageShape): number {
  const c = corruptionRegistry.get(id);
  const random = createRandom(1);
  for (let i = 0; i < 20; i++) c.apply(images[i % images.length], shape, SEVERITY, random);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < MS) {
    for (let k = 0; k < 10; k++, n++) c.apply(images[n % images.length], shape, SEVERITY, random);
  }
  return n / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const data = await loadAll(await openDataset('mnist:test', { limit: 64 }));
  const digits = Array.from({ length: 64 }, (_, i) => data.x.slice(i * 784, (i + 1) * 784));
  const base = syntheticRgb();
  const rgbs = Array.from({ length: 8 }, (_, k) => base.map((v, i) => Math.min(1, v * (0.8 + 0.05 * k) + ((i * 7 + k) % 13) / 200)));
  const rows: [string, number, number][] = [];
  for (const id of corruptionRegistry.ids()) rows.push([id, rate(id, digits, [28, 28, 1]), rate(id, rgbs, [32, 32, 3])]);
  console.log(`| corruption | 28×28×1 img/s | 32×32×3 img/s |\n|---|---:|---:|`);
  for (const [id, a, b] of rows) console.log(`| ${id} | ${Math.round(a).toLocaleString('en-US')} | ${Math.round(b).toLocaleString('en-US')} |`);
  const slowest = rows.reduce((m, r) => (r[1] < m[1] ? r : m));
  console.log(`\nslowest on 28×28: ${slowest[0]} at ${Math.round(slowest[1])} img/s (severity ${SEVERITY}; target ≥ 500)`);
  if (slowest[1] < 500) process.exitCode = 1;
}

void main();
