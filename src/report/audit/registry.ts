/** Audit section registry: one line per section type (type → runner). */
import type { SectionConfig } from './config.js';
import type { SectionRunner } from './context.js';
import type { SectionType } from './results.js';
import { runCleanSection } from './sections/clean.js';
import { runRobustnessSection } from './sections/robustness.js';
import { runCorruptionsSection } from './sections/corruptions.js';
import { runOodSection } from './sections/ood.js';
import { runCalibrationSection } from './sections/calibration.js';
import { runStabilitySection } from './sections/stability.js';
import { runCertificationSection } from './sections/certification.js';
import { runValidationSection } from './sections/validation.js';
import { runSensitivitySection } from './sections/sensitivity.js';
import { runExplanationsSection } from './sections/explanations.js';

type Runners = { [T in SectionType]: SectionRunner<Extract<SectionConfig, { type: T }>> };

export const sectionRunners: Runners = {
  clean: runCleanSection,
  robustness: runRobustnessSection,
  corruptions: runCorruptionsSection,
  ood: runOodSection,
  calibration: runCalibrationSection,
  stability: runStabilitySection,
  certification: runCertificationSection,
  validation: runValidationSection,
  sensitivity: runSensitivitySection,
  explanations: runExplanationsSection,
};

export function runnerFor<C extends SectionConfig>(config: C): SectionRunner<C> {
  return sectionRunners[config.type] as unknown as SectionRunner<C>;
}
