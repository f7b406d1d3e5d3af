/**
 * `rampart corrupt`: writes a corrupted copy of a data set — as NPZ (`x` NHWC float32 in [0, 1], `y` int32) or as a
 * folder of PNGs per class (readable back with `images:DIR`) — plus a PNG preview grid of the first images.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { RampartError } from '../errors.js';
import { createRandom } from '../engine/random.js';
import { loadAll, openDataset, writeNpzFile } from '../data/index.js';
import { corruptionRegistry } from '../corruptions/builtin.js';
import type { ImageShape } from '../corruptions/define.js';
import { encodePng, previewGrid } from '../corruptions/preview.js';
import { globalFlags, parseInteger, printJson } from './common.js';

interface CorruptFlags {
  data: string;
  corruption: string;
  severity: number;
  out: string;
  limit?: number;
  offset?: number;
  seed: number;
  preview: number;
  labelColumn?: string;
  json?: boolean;
}

export function registerCorrupt(program: Command): void {
  program
    .command('corrupt')
    .description('write a corrupted copy of a data set (NPZ or PNG folder per class) with a PNG preview')
    .requiredOption('-d, --data <spec>', 'data spec (mnist[:test|:train], fashion-mnist, npz:F, npy:X,Y, idx:I,L, csv:F, images:DIR)')
    .requiredOption('-c, --corruption <id>', `corruption id (${corruptionRegistry.ids().join(', ')})`)
    .option('-s, --severity <n>', 'severity 1..5', parseInteger('--severity', 1), 3)
    .requiredOption('-o, --out <path>', 'output: a .npz file, or a directory for PNGs (DIR/<class>/<index>.png)')
    .option('--limit <n>', 'corrupt at most n samples', parseInteger('--limit', 1))
    .option('--offset <k>', 'skip the first k samples', parseInteger('--offset', 0))
    .option('--seed <n>', 'random seed', parseInteger('--seed', 0), 0)
    .option('--preview <n>', 'images in the preview grid (0: none)', parseInteger('--preview', 0), 32)
    .option('--label-column <name>', 'label column of csv: data', 'label')
    .option('--json', 'print a JSON summary to stdout')
    .action(async (flags: CorruptFlags, command: Command) => {
      const { quiet } = globalFlags(command);
      const corruption = corruptionRegistry.get(flags.corruption);
      if (flags.severity > 5) {
        throw new RampartError('BAD_OPTION', `--severity must be 1..5; got ${flags.severity}.`, { severity: flags.severity });
      }
      const dataset = await openDataset(flags.data, { limit: flags.limit, offset: flags.offset, labelColumn: flags.labelColumn });
      const shape = dataset.sampleShape;
      if (shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 3) || shape[0] < 8 || shape[1] < 8) {
        throw new RampartError(
          'DATA_SHAPE_MISMATCH',
          `${dataset.spec}: corruptions need images [height ≥ 8, width ≥ 8, 1 or 3 channels] (HWC); got [${shape.join(', ')}].`,
          { shape },
        );
      }
      const imageShape = [shape[0], shape[1], shape[2]] as unknown as ImageShape;
      const data = await loadAll(dataset);
      const size = shape[0] * shape[1] * shape[2];
      for (let i = 0; i < data.x.length; i++) {
        const v = data.x[i];
        if (!(v >= 0 && v <= 1)) {
          throw new RampartError(
            'DATA_SPEC',
            `${dataset.spec}: corruptions work on pixels in [0, 1], but sample ${Math.floor(i / size)} has ${v}. Rescale the data to [0, 1].`,
            { value: v },
          );
        }
      }
      const random = createRandom(flags.seed);
      const started = performance.now();
      const x = new Float32Array(data.x.length);
      for (let n = 0; n < data.count; n++) {
        x.set(corruption.apply(data.x.subarray(n * size, (n + 1) * size), imageShape, flags.severity, random.fork()), n * size);
      }
      const seconds = (performance.now() - started) / 1000;
      const out = path.resolve(flags.out);
      const isNpz = out.toLowerCase().endsWith('.npz');
      let previewPath: string | undefined;
      if (isNpz) {
        fs.mkdirSync(path.dirname(out), { recursive: true });
        await writeNpzFile(out, { x: { data: x, shape: [data.count, ...shape] }, y: { data: data.y, shape: [data.count] } });
        previewPath = out.replace(/\.npz$/i, '.preview.png');
      } else {
        fs.mkdirSync(out, { recursive: true });
        const width = String(Math.max(0, dataset.numClasses - 1)).length;
        const folder = (label: number): string => dataset.classNames?.[label] ?? String(label).padStart(width, '0');
        for (let n = 0; n < data.count; n++) {
          const dir = path.join(out, folder(data.y[n]));
          fs.mkdirSync(dir, { recursive: true });
          fs.writeFileSync(path.join(dir, `${String(n).padStart(6, '0')}.png`), encodePng(x.subarray(n * size, (n + 1) * size), imageShape));
        }
        previewPath = path.join(out, '..', `${path.basename(out)}.preview.png`);
      }
      const previewCount = Math.min(flags.preview, data.count);
      if (previewCount > 0) {
        const images = Array.from({ length: previewCount }, (_, n) => x.subarray(n * size, (n + 1) * size));
        fs.writeFileSync(previewPath, previewGrid(images, imageShape, 8, shape[0] <= 32 ? 2 : 1));
      } else {
        previewPath = undefined;
      }
      const summary = {
        corruption: corruption.id,
        severity: flags.severity,
        table: corruption.parameters(imageShape, flags.severity).table,
        seed: flags.seed,
        data: dataset.spec,
        count: data.count,
        out,
        format: isNpz ? 'npz' : 'png-folder',
        preview: previewPath ?? null,
        imagesPerSecond: data.count / Math.max(seconds, 1e-9),
      };
      if (flags.json) {
        printJson(summary);
        return;
      }
      if (!quiet) {
        process.stdout.write(
          `${corruption.title} (severity ${flags.severity}, ${summary.table} table, seed ${flags.seed}): ${data.count} images → ${out}` +
            (previewPath ? `\npreview: ${previewPath}` : '') +
            `\n`,
        );
      }
    });
}
