/** `rampart info`: what a model is — format, input shape, classes, parameters, ops, white-box or not. */
import type { Command } from 'commander';
import { describeModel } from '../engine/model.js';
import { loadModel, modelSha256, resolveModelSpec } from '../engine/load.js';
import { layoutOption, printJson, startBackend } from './common.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('describe a model: format, input shape, classes, parameter count, ops, gradient availability')
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .addOption(layoutOption())
    .option('--json', 'print JSON to stdout')
    .action(async (flags: { model: string; layout: 'auto' | 'nchw' | 'nhwc'; json?: boolean }, command: Command) => {
      const backend = await startBackend(command);
      const resolved = resolveModelSpec(flags.model);
      const model = await loadModel(flags.model, { layout: flags.layout });
      try {
        const description = describeModel(model);
        const info = {
          spec: flags.model,
          file: resolved.file,
          format: model.format,
          sha256: modelSha256(resolved),
          inputShape: [...model.inputShape],
          inputLayout: (model as { layout?: string }).layout ?? (model.inputShape.length === 3 ? 'nhwc' : 'flat'),
          numClasses: model.numClasses,
          bounds: [...model.bounds],
          parameterCount: description.parameterCount ?? null,
          opTypes: description.opTypes,
          whiteBoxGradients: description.whiteBox,
          backend,
          provenance: resolved.sidecar ?? null,
        };
        if (flags.json) {
          printJson(info);
          return;
        }
        const lines = [
          `model        ${info.spec}`,
          `file         ${info.file}`,
          `format       ${info.format}`,
          `sha256       ${info.sha256}`,
          `input        [${info.inputShape.join(', ')}] (${info.inputLayout}), values in [${info.bounds.join(', ')}]`,
          `classes      ${info.numClasses}`,
          `parameters   ${info.parameterCount ?? 'unknown'}`,
          `ops          ${info.opTypes.join(', ') || 'unknown'}`,
          `gradients    ${info.whiteBoxGradients ? 'yes (white-box attacks available)' : 'no (black-box only)'}`,
        ];
        if (info.provenance?.testAccuracy !== undefined) {
          lines.push(`trained      ${info.provenance.command ?? ''}`, `test acc.    ${info.provenance.testAccuracy} on ${info.provenance.testData ?? '?'}`);
        }
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        model.dispose();
      }
    });
}
