/**
 * Suite config of the sensitivity and explanations sections: defaults, and every bad knob reported with its key
 * path and the fix (bad patch sizes, a stride that skips pixels, unknown methods / attacks / corruptions, variants
 * without clean, an impossible ε, unknown keys), all problems at once.
 */
import { describe, it, expect } from 'vitest';
import { RampartError } from '../../src/errors.js';
import { resolveAuditConfig, type SectionConfigOf } from '../../src/report/audit/config.js';
import { auditConfigProblems } from '../helpers/audit-config.js';

const problemsOf = auditConfigProblems;

describe('audit config: sensitivity and explanations sections', () => {
  it('defaults: occlusion-by-default sensitivity without retraining, three saliency methods on three variants', () => {
    const config = resolveAuditConfig({ sections: [{ type: 'sensitivity' }, { type: 'explanations' }] });
    const sensitivity = config.sections[0] as SectionConfigOf<'sensitivity'>;
    expect(sensitivity).toMatchObject({ id: 'sensitivity', title: 'Sensitivity analysis', enabled: true, samples: 100, mode: 'auto', amount: 0.1, patch: 4, stride: null, fill: 0, top: 20, parameters: null });
    const explanations = config.sections[1] as SectionConfigOf<'explanations'>;
    expect(explanations).toMatchObject({
      id: 'explanations',
      enabled: true,
      samples: 4,
      methods: ['vanilla', 'integrated-gradients', 'smoothgrad'],
      integratedGradients: { steps: 32, baseline: 'min' },
      smoothgrad: { samples: 25, noiseLevel: 0.15 },
      variants: ['clean', 'adversarial', 'corrupted'],
      attack: { id: 'pgd', options: { steps: 20 } },
      norm: 'linf',
      epsilon: 0.1,
      corruption: { id: 'fog', severity: 3 },
    });
    const withRetraining = resolveAuditConfig({ sections: [{ type: 'sensitivity', parameters: { train: 'mnist:train' } }] }).sections[0] as SectionConfigOf<'sensitivity'>;
    expect(withRetraining.parameters).toEqual({ train: 'mnist:train', trainLimit: 2000, runs: 3, resample: 'bootstrap', noise: 0.05, arch: 'mlp', epochs: 3, batchSize: 64, learningRate: 1e-3, varyInitialisation: false });
  });

  it('reports every bad knob with its key path', () => {
    const problems = problemsOf({
      sections: [
        { type: 'sensitivity', patch: 0, fill: 'median', mode: 'pixels', colour: 'red' },
        { type: 'sensitivity', id: 'strided', patch: 2, stride: 3, parameters: { runs: 1 } },
        { type: 'explanations', methods: ['vanilla', 'lime'], variants: ['adversarial'], epsilon: 2, attack: { id: 'nope' }, corruption: { id: 'smudge', severity: 3 } },
        { type: 'explanations', id: 'ig', integratedGradients: { steps: 0 }, smoothgrad: { sigma: 1 }, corruption: { id: 'fog', severity: 6 } },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sections\[0\]\.patch: Number must be greater than or equal to 1/),
        expect.stringMatching(/^sections\[0\]\.fill: /),
        expect.stringMatching(/^sections\[0\]\.mode: Invalid enum value/),
        expect.stringMatching(/^sections\[0\]\.colour: unknown key/),
        expect.stringMatching(/^sections\[1\]\.parameters\.train: Required/),
        expect.stringMatching(/^sections\[1\]\.parameters\.runs: Number must be greater than or equal to 2/),
        expect.stringMatching(/^sections\[3\]\.integratedGradients\.steps: Number must be greater than or equal to 1/),
        expect.stringMatching(/^sections\[3\]\.smoothgrad\.sigma: unknown key/),
        expect.stringMatching(/^sections\[3\]\.corruption\.severity: Number must be less than or equal to 5/),
      ]),
    );
    // sections that parse by themselves get their cross-field checks in the same report
    const crossField = problemsOf({
      sections: [
        { type: 'sensitivity', id: 'strided', patch: 2, stride: 3 },
        { type: 'explanations', methods: ['vanilla', 'lime'], variants: ['adversarial'], epsilon: 2, attack: { id: 'nope' }, corruption: { id: 'smudge', severity: 3 } },
        { type: 'explanations', id: 'corrupt-only', variants: ['clean', 'corrupted'], epsilon: 5, corruption: { id: 'smudge', severity: 1 } },
      ],
    });
    expect(crossField).toEqual([
      expect.stringMatching(/^sections\[0\]\.stride: stride 3 is larger than the patch side 2/),
      expect.stringMatching(/^sections\[1\]\.methods\[1\]: unknown explanation method "lime"; available: vanilla, integrated-gradients, smoothgrad/),
      expect.stringMatching(/^sections\[1\]\.variants: variants must include clean/),
      expect.stringMatching(/^sections\[1\]\.epsilon: ε = 2 is outside \[0, 1\]/),
      expect.stringMatching(/^sections\[1\]\.attack\.id: unknown attack "nope"/),
      // the adversarial variant is off: its ε is not checked; the corruption is
      expect.stringMatching(/^sections\[2\]\.corruption\.id: unknown corruption "smudge"/),
    ]);
  });
});
