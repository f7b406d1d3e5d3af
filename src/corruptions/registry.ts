/** The corruption registry: a map from stable ids to definitions, filled only in builtin.ts. */
import { RampartError } from '../errors.js';
import type { CorruptionDefinition, CorruptionSuite } from './define.js';

export class CorruptionRegistry {
  private readonly corruptions = new Map<string, CorruptionDefinition>();

  register(definition: CorruptionDefinition): this {
    if (this.corruptions.has(definition.id)) throw new RampartError('INTERNAL', `Corruption id "${definition.id}" is registered twice.`, {});
    this.corruptions.set(definition.id, definition);
    return this;
  }

  get(id: string): CorruptionDefinition {
    const found = this.corruptions.get(id) ?? this.corruptions.get(id.replace(/_/g, '-'));
    if (!found) {
      throw new RampartError('BAD_OPTION', `Unknown corruption "${id}". Available corruptions: ${this.ids().join(', ')}.`, { id });
    }
    return found;
  }

  has(id: string): boolean {
    return this.corruptions.has(id);
  }

  ids(): string[] {
    return [...this.corruptions.keys()];
  }

  list(): CorruptionDefinition[] {
    return [...this.corruptions.values()];
  }

  /** Corruptions of a benchmark suite, in registration (benchmark) order. */
  listBySuite(suite: CorruptionSuite): CorruptionDefinition[] {
    return this.list().filter((c) => c.suite.includes(suite));
  }
}
