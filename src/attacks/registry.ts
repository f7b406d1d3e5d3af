/** The attack registry: a map from stable ids to definitions, filled only in builtin.ts. */
import { RampartError } from '../errors.js';
import type { AnyAttackDefinition } from './define.js';

export class AttackRegistry {
  private readonly attacks = new Map<string, AnyAttackDefinition>();

  register(definition: AnyAttackDefinition): this {
    if (this.attacks.has(definition.id)) throw new RampartError('INTERNAL', `Attack id "${definition.id}" is registered twice.`, {});
    this.attacks.set(definition.id, definition);
    return this;
  }

  get(id: string): AnyAttackDefinition {
    const found = this.attacks.get(id);
    if (!found) {
      throw new RampartError('BAD_OPTION', `Unknown attack "${id}". Available attacks: ${this.ids().join(', ')}.`, { id });
    }
    return found;
  }

  has(id: string): boolean {
    return this.attacks.has(id);
  }

  ids(): string[] {
    return [...this.attacks.keys()];
  }

  list(): AnyAttackDefinition[] {
    return [...this.attacks.values()];
  }
}
