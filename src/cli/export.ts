/** `rampart export`: write Rampart's sequential TF.js models as ONNX, checked through onnxruntime-node. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { loadModel } from '../engine/load.js';
import { TfjsModel } from '../engine/tfjs-model.js';
import { exportToOnnx } from '../engine/export-onnx.js';
import { verifyOnnxExport } from '../engine/export-verify.js';
import { RampartError } from '../errors.js';
import { printJson, startBackend } from './common.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a TF.js model to ONNX and check it through onnxruntime-node')
    .requiredOption('-m, --model <spec>', 'builtin:NAME or a TF.js model.json / folder')
    .addOption(new Option('--format <format>', 'output format').choices(['onnx']).default('onnx'))
    .requiredOption('-o, --out <file>', 'output .onnx file')
    .option('--json', 'print a JSON summary to stdout')
    .action(async (flags: { model: string; out: string; json?: boolean }, command: Command) => {
      await startBackend(command);
      const model = await loadModel(flags.model);
      try {
        if (!(model instanceof TfjsModel) || !model.layersModel) {
          throw new RampartError(
            'MODEL_UNSUPPORTED',
            `rampart export writes ONNX from TF.js LayersModels; ${flags.model} is ${model.format}. ONNX models need no export.`,
            {},
          );
        }
        const bytes = exportToOnnx(model.layersModel, { producer: 'rampart' });
        const check = await verifyOnnxExport(model, bytes);
        if (check.maxAbsLogitDifference > check.tolerance) {
          throw new RampartError(
            'INTERNAL',
            `The exported ONNX model disagrees with the TF.js model (max |Δlogit| ${check.maxAbsLogitDifference.toExponential(2)} > ${check.tolerance}); nothing was written. Please report this model.`,
            { ...check },
          );
        }
        fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
        fs.writeFileSync(flags.out, bytes);
        const summary = { model: flags.model, out: flags.out, bytes: bytes.byteLength, check };
        if (flags.json) printJson(summary);
        else
          process.stdout.write(
            `wrote ${flags.out} (${bytes.byteLength} bytes); onnxruntime-node agrees with TF.js on ${check.samples} inputs (max |Δlogit| ${check.maxAbsLogitDifference.toExponential(2)})\n`,
          );
      } finally {
        model.dispose();
      }
    });
}
