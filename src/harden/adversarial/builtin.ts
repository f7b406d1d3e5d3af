/** The training-attack registry: id → factory from JSON options. Filled only here. */
import { RampartError } from '../../errors.js';
import type { TrainingAttack } from './define.js';
import { createPgdTrainingAttack } from './pgd.js';
import { createFgsmTrainingAttack } from './fgsm-rs.js';

export const trainingAttackFactories: Record<string, (options: Record<string, unknown>) => TrainingAttack> = {
  pgd: (o) => createPgdTrainingAttack(o),
  'fgsm-rs': (o) => createFgsmTrainingAttack({ ...o, randomStart: true }),
  fgsm: (o) => createFgsmTrainingAttack({ ...o, randomStart: false }),
};
export const trainingAttackIds = Object.keys(trainingAttackFactories);

/** Builds a training attack from `id` or `id:steps` (e.g. `pgd:3`). */
export function createTrainingAttack(spec: string, options: Record<string, unknown> = {}): TrainingAttack {
  const [id, steps] = spec.split(':');
  const factory = trainingAttackFactories[id];
  if (!factory) throw new RampartError('BAD_OPTION', `Unknown training attack "${id}". Use one of ${trainingAttackIds.join(', ')} (pgd:STEPS sets the steps).`);
  const o = { ...options };
  if (steps !== undefined) {
    if (id !== 'pgd' || !/^\d+$/.test(steps)) throw new RampartError('BAD_OPTION', `Training attack "${spec}": only pgd takes a step count (pgd:7).`);
    o.steps = Number(steps);
  }
  if (id !== 'pgd') delete o.steps;
  return factory(o);
}
