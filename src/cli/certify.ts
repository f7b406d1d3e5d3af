/**
 * `rampart certify`: certified robustness. `--method smoothing` (randomized smoothing, Cohen et al. 2019) or a
 * bound-propagation method (`ibp`, `crown`, `alpha-crown`). The flags are declared here once; each method's
 * runner lives in its own file.
 */
import { Option, type Command } from 'commander';
import { layoutOption, parseInteger } from './common.js';
import { runSmoothingCertify } from './certify-smoothing.js';
import { runBoundsCertify } from './certify-bounds.js';

export const certifyMethods = ['smoothing', 'ibp', 'crown', 'alpha-crown'] as const;
export type CertifyMethod = (typeof certifyMethods)[number];

/** Every flag of `rampart certify`; a method reads the ones it needs. */
export interface CertifyFlags {
  method: CertifyMethod;
  model: string;
  data: string;
  limit?: number;
  layout: 'auto' | 'nchw' | 'nhwc';
  batchSize?: number;
  seed: number;
  json?: boolean;
  out?: string;
  // randomized smoothing
  sigma?: string;
  n?: number;
  n0?: number;
  alpha?: string;
  radii?: string;
  // bound propagation
  norm?: string;
  eps?: string;
  radius?: boolean;
  pgd?: boolean;
}

export function registerCertify(program: Command): void {
  program
    .command('certify')
    .description('certified robustness: randomized smoothing, or bound propagation (IBP, CROWN, alpha-CROWN)')
    .addOption(new Option('--method <method>', 'certification method').choices([...certifyMethods]).default('crown'))
    .requiredOption('-m, --model <spec>', 'builtin:NAME, an .onnx file, or a TF.js model.json / folder')
    .option('-d, --data <spec>', 'data spec', 'mnist:test')
    .option('--limit <n>', 'certify at most n samples', parseInteger('--limit', 1))
    .addOption(layoutOption())
    .option('--batch-size <n>', 'samples (or noise draws) per forward pass', parseInteger('--batch-size', 1))
    .option('--seed <n>', 'seed for every random choice', parseInteger('--seed', 0), 0)
    .option('--sigma <sigma>', 'smoothing: noise standard deviation', '0.25')
    .option('--n <n>', 'smoothing: noise samples for the estimation step', parseInteger('--n', 1), 100000)
    .option('--n0 <n>', 'smoothing: noise samples for the selection step', parseInteger('--n0', 1), 100)
    .option('--alpha <alpha>', 'smoothing: failure probability', '0.001')
    .option('--radii <list>', 'smoothing: radii for certified accuracy', '0,0.25,0.5,0.75,1')
    .option('--norm <norm>', 'bounds: input ball norm (linf or l2)', 'linf')
    .option('--eps <list>', 'bounds: comma-separated radii of the input ball', '0.01')
    .option('--radius', 'bounds: also find each sample\'s certified radius by bisection')
    .option('--no-pgd', 'bounds: skip the PGD robust accuracy printed next to certified accuracy')
    .option('--json', 'print the result JSON to stdout')
    .option('-o, --out <file>', 'also write the result JSON to this file')
    .action(async (flags: CertifyFlags, command: Command) => {
      if (flags.method === 'smoothing') await runSmoothingCertify(flags, command);
      else await runBoundsCertify(flags, command);
    });
}
