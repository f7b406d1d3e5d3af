/** Fills the diagnostics registry: one line per check (the only place diagnostics are registered). */
import { DiagnosticRegistry } from './registry.js';
import { randomLogits } from './random-logits.js';
import { softmaxOutput } from './softmax-output.js';
import { gradientHealth } from './gradient-health.js';
import { blackBoxBeatsWhiteBox } from './black-box-beats-white-box.js';
import { largeEpsilon } from './large-epsilon.js';
import { iterativeVsSingleStep } from './iterative-vs-single-step.js';
import { notConverged } from './not-converged.js';
import { noiseBaseline } from './noise-baseline.js';

export const diagnosticRegistry = new DiagnosticRegistry();
diagnosticRegistry.register(randomLogits);
diagnosticRegistry.register(softmaxOutput);
diagnosticRegistry.register(gradientHealth);
diagnosticRegistry.register(blackBoxBeatsWhiteBox);
diagnosticRegistry.register(largeEpsilon);
diagnosticRegistry.register(iterativeVsSingleStep);
diagnosticRegistry.register(notConverged);
diagnosticRegistry.register(noiseBaseline);
