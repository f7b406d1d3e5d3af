/** The corruption registry: a map from stable ids to definitions, filled only in builtin.ts. */
import { RampartError } from '../errors.js';
import type { CorruptionDefinition, CorruptionSuite } from './define.js';

export class CorruptionRegistry {
  private readonly corruptions = new Map<string, CorruptionDefinition>();
  private readonly orders = new Map<CorruptionSuite, string[]>();

  /** Sets the benchmark order of a suite (ids not listed follow in registration order). */
  order(suite: CorruptionSuite, ids: string[]): this {
    this.orders.set(suite, ids);
    return this;
  }

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
    const members = this.list().filter((c) => c.suite.includes(suite));
    const order = this.orders.get(suite) ?? [];
    const rank = (id: string): number => {
      const i = order.indexOf(id);
      return i < 0 ? order.length : i;
    };
    return members.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c.id) - rank(b.c.id) || a.i - b.i).map(({ c }) => c);
  }
}
