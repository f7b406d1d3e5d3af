/**
 * The augmentation registry: id → factory taking the augmentation's JSON options (checked by its zod schema).
 * Filled only here. `parseAugmentList('mixup,rotate:degrees=10')` reads the CLI form.
 */
import { RampartError } from '../../errors.js';
import type { Augmentation } from './define.js';
import { createRotate } from './rotate.js';
import { createTranslate } from './translate.js';
import { createScale } from './scale.js';
import { createFlip } from './flip.js';
import { createBrightness } from './brightness.js';
import { createContrast } from './contrast.js';
import { createSaturation } from './saturation.js';
import { createGaussianNoise } from './gaussian-noise.js';
import { createSaltPepper } from './salt-pepper.js';
import { createMixup } from './mixup.js';
import { createCutmix } from './cutmix.js';
import { createAugmix } from './augmix.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const augmentationFactories: Record<string, (options: any) => Augmentation> = {
  rotate: createRotate,
  translate: createTranslate,
  scale: createScale,
  flip: createFlip,
  brightness: createBrightness,
  contrast: createContrast,
  saturation: createSaturation,
  'gaussian-noise': createGaussianNoise,
  'salt-pepper': createSaltPepper,
  mixup: createMixup,
  cutmix: createCutmix,
  augmix: createAugmix,
};
export const augmentationIds = Object.keys(augmentationFactories);

export interface AugmentSpec {
  id: string;
  options?: Record<string, unknown>;
}

export function createAugmentation(spec: AugmentSpec): Augmentation {
  const factory = augmentationFactories[spec.id];
  if (!factory) throw new RampartError('BAD_OPTION', `Unknown augmentation "${spec.id}". Use one of ${augmentationIds.join(', ')}.`);
  try {
    return factory(spec.options ?? {});
  } catch (e) {
    const issues = (e as { issues?: { path: unknown[]; message: string }[] }).issues;
    const detail = issues ? issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (e as Error).message;
    throw new RampartError('BAD_OPTION', `Augmentation "${spec.id}": ${detail}. See docs/harden.md for its options.`);
  }
}

/** `mixup,rotate:degrees=10:p=0.5` → specs (numbers and true/false parsed). */
export function parseAugmentList(text: string): AugmentSpec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [id, ...pairs] = item.split(':');
      const options: Record<string, unknown> = {};
      for (const pair of pairs) {
        const [key, value] = pair.split('=');
        if (value === undefined) throw new RampartError('BAD_OPTION', `--augment "${item}": write options as name=value (e.g. rotate:degrees=10).`);
        options[key] = value === 'true' ? true : value === 'false' ? false : Number.isFinite(Number(value)) ? Number(value) : value;
      }
      return { id, options };
    });
}
