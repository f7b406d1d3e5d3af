/**
 * Worst-case evaluation across attacks, and attack presets.
 *
 * - Cascade: attacks run in order and each later one only sees the points still robust at that ε (cheap, as in
 *   AutoAttack). Without the cascade every attack sees every initially-correct point and reports standalone
 *   numbers. Either way the worst case is per sample: a point is robust at ε only if no attack broke it.
 * - Presets: named ordered lists of attack ids. `autoattack` = APGD-CE → APGD-T → Square (Croce & Hein 2020,
 *   https://arxiv.org/abs/2003.01690, the "standard" version without FAB-T); components not registered yet are
 *   reported as missing and the cascade runs the rest.
 */
import { RampartError } from '../errors.js';
import type { AttackRegistry } from './registry.js';

export const attackPresets = {
  autoattack: ['apgd-ce', 'apgd-t', 'square'],
} as const satisfies Record<string, readonly string[]>;

export type AttackPresetName = keyof typeof attackPresets;
export const attackPresetNames = Object.keys(attackPresets) as AttackPresetName[];

export interface ResolvedPreset {
  name: AttackPresetName;
  /** Every component of the preset, in order. */
  components: string[];
  /** The components that are registered and will run. */
  ran: string[];
  /** Components not available in this build (reported, not silently dropped). */
  missing: string[];
}

/** Splits a preset into the components that exist in `registry` and those that do not. */
export function resolvePreset(name: string, registry: AttackRegistry): ResolvedPreset {
  if (!(name in attackPresets)) {
    throw new RampartError('BAD_OPTION', `Unknown attack preset "${name}". Presets: ${attackPresetNames.join(', ')}.`, { name });
  }
  const components = [...attackPresets[name as AttackPresetName]];
  const ran = components.filter((id) => registry.has(id));
  const missing = components.filter((id) => !registry.has(id));
  if (ran.length === 0) {
    throw new RampartError('BAD_OPTION', `None of the components of preset "${name}" (${components.join(', ')}) is available in this build.`, { name });
  }
  return { name: name as AttackPresetName, components, ran, missing };
}

/** Per-sample worst case: 1 where any of the attacks' success masks is 1. */
export function worstCaseSuccess(masks: readonly Uint8Array[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (const mask of masks) for (let i = 0; i < count; i++) if (mask[i] === 1) out[i] = 1;
  return out;
}

/**
 * Which samples an attack should run on at one ε: the initially-correct ones, or under the cascade only those
 * no earlier attack has broken yet.
 */
export function samplesToAttack(correct: Uint8Array, brokenSoFar: Uint8Array, cascade: boolean): number[] {
  const picked: number[] = [];
  for (let i = 0; i < correct.length; i++) if (correct[i] === 1 && !(cascade && brokenSoFar[i] === 1)) picked.push(i);
  return picked;
}
