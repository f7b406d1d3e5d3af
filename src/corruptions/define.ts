/**
 * The corruption contract. A corruption is a pure, seeded function on one float32 image in [0, 1] of layout
 * HWC (any size ≥ 8×8, 1 or 3 channels) with a five-level severity table. `defineCorruption` validates the
 * input, picks the parameter row for the severity and the image resolution, runs the algorithm and clips the
 * result to [0, 1], so every algorithm file only writes the maths.
 *
 * Severity tables are chosen per resolution: `mnist` (the MNIST-C reference tables, for 1-channel images
 * ≤ 28 px), `cifar` (the CIFAR-10-C tables, ≤ 32 px) and `imagenet` (the ImageNet-C tables, larger); when a
 * corruption has no table for a resolution, the nearest one is used and pixel-sized parameters are scaled by
 * the algorithm itself.
 *
 * @example
 * ```ts
 * const out = corruptionRegistry.get('shot-noise').apply(image, [28, 28, 1], 3, createRandom(0));
 * ```
 */
import { RampartError } from '../errors.js';
import type { Random } from '../engine/random.js';

/** mnist-c: the 15 MNIST-C benchmark corruptions + identity; common: the 15 ImageNet-C/CIFAR-10-C benchmark corruptions; common-extra: the 4 held-out ones. */
export type CorruptionSuite = 'mnist-c' | 'common' | 'common-extra';
export type CorruptionFamily = 'noise' | 'blur' | 'weather' | 'digital' | 'geometric' | 'overlay' | 'identity';
/** Image shape [height, width, channels]. */
export type ImageShape = readonly [number, number, number];
export type Severity = 1 | 2 | 3 | 4 | 5;
export type SeverityTableName = 'mnist' | 'cifar' | 'imagenet';

export interface SeverityTables<P> {
  mnist?: readonly P[];
  cifar?: readonly P[];
  imagenet?: readonly P[];
}

export interface CorruptionContext {
  shape: ImageShape;
  severity: Severity;
  random: Random;
  /** Which table the parameters came from. */
  table: SeverityTableName;
}

export interface CorruptionSpec<P> {
  /** Stable kebab-case id (`shot-noise`, `canny-edges`). */
  id: string;
  title: string;
  family: CorruptionFamily;
  /** Benchmark suites the corruption belongs to. */
  suite: readonly CorruptionSuite[];
  /** Citation with a link. */
  paper: string;
  /** Whether the result depends on the random generator (false: deterministic transform). */
  random: boolean;
  /** Whether severity changes the result (false for the fixed MNIST-C overlays: stripe, zigzag, ...). */
  graded: boolean;
  /** The severity level the MNIST-C benchmark uses (the reference's default), when in the mnist-c suite. */
  mnistcSeverity?: Severity;
  /** Five rows per table, severity 1..5. */
  severities: SeverityTables<P>;
  /** The algorithm: returns a new HWC image (clipping to [0, 1] is done by the caller). */
  corrupt(image: Float32Array, params: P, context: CorruptionContext): Float32Array;
}

export interface CorruptionDefinition {
  readonly id: string;
  readonly title: string;
  readonly family: CorruptionFamily;
  readonly suite: readonly CorruptionSuite[];
  readonly paper: string;
  readonly random: boolean;
  readonly graded: boolean;
  readonly mnistcSeverity?: Severity;
  /** The parameter row used for an image shape and severity (for documentation and tests). */
  parameters(shape: ImageShape, severity: number): { table: SeverityTableName; params: unknown };
  /** Corrupts one HWC float32 image in [0, 1]; returns a new array of the same length, values in [0, 1]. */
  apply(image: Float32Array, shape: ImageShape, severity: number, random: Random): Float32Array;
}

const preference: Record<SeverityTableName, SeverityTableName[]> = {
  mnist: ['mnist', 'cifar', 'imagenet'],
  cifar: ['cifar', 'mnist', 'imagenet'],
  imagenet: ['imagenet', 'cifar', 'mnist'],
};

/** The resolution class of a shape: 1-channel ≤ 28 px → mnist, ≤ 32 px → cifar, larger → imagenet. */
export function resolutionOf(shape: ImageShape): SeverityTableName {
  const side = Math.max(shape[0], shape[1]);
  if (side <= 28 && shape[2] === 1) return 'mnist';
  if (side <= 32) return 'cifar';
  return 'imagenet';
}

export function checkImage(id: string, image: Float32Array, shape: ImageShape): void {
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new RampartError('BAD_OPTION', `Corruption "${id}": shape must be [height, width, channels].`, { shape });
  }
  const [h, w, c] = shape;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 8 || w < 8) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `Corruption "${id}" needs images of at least 8×8 pixels, got ${h}×${w}. Resize the data set first.`, { shape });
  }
  if (c !== 1 && c !== 3) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `Corruption "${id}" needs 1 or 3 channels (HWC), got ${c}. Convert the images to grayscale or RGB.`, { shape });
  }
  if (image.length !== h * w * c) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `Corruption "${id}": image has ${image.length} values but shape ${h}×${w}×${c} needs ${h * w * c}.`, { shape });
  }
}

export function defineCorruption<P>(spec: CorruptionSpec<P>): CorruptionDefinition {
  const pick = (shape: ImageShape, severity: number): { table: SeverityTableName; params: P } => {
    if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
      throw new RampartError('BAD_OPTION', `Corruption "${spec.id}": severity must be an integer 1..5, got ${severity}.`, { severity });
    }
    for (const table of preference[resolutionOf(shape)]) {
      const rows = spec.severities[table];
      if (rows) return { table, params: rows[severity - 1] as P };
    }
    throw new RampartError('INTERNAL', `Corruption "${spec.id}" has no severity table.`, {});
  };
  for (const rows of Object.values(spec.severities) as (readonly P[] | undefined)[]) {
    if (rows && rows.length !== 5) throw new RampartError('INTERNAL', `Corruption "${spec.id}": severity tables need 5 rows.`, {});
  }
  return {
    id: spec.id,
    title: spec.title,
    family: spec.family,
    suite: spec.suite,
    paper: spec.paper,
    random: spec.random,
    graded: spec.graded,
    ...(spec.mnistcSeverity !== undefined ? { mnistcSeverity: spec.mnistcSeverity } : {}),
    parameters: (shape, severity) => pick(shape, severity),
    apply(image, shape, severity, random) {
      checkImage(spec.id, image, shape);
      const { table, params } = pick(shape, severity);
      const out = spec.corrupt(image, params, { shape, severity: severity as Severity, random, table });
      if (out.length !== image.length) throw new RampartError('INTERNAL', `Corruption "${spec.id}" changed the image size.`, {});
      for (let i = 0; i < out.length; i++) {
        const v = out[i];
        out[i] = v > 1 ? 1 : v >= 0 ? v : 0; // also maps NaN to 0
      }
      return out;
    },
  };
}
