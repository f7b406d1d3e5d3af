/**
 * A small JSON Schema validator for the subset Rampart's published schemas use (draft 2020-12 / 07 keywords):
 * type, properties, required, additionalProperties (boolean or schema), items (one schema), minItems,
 * maxItems, enum, const, minimum, maximum, pattern, $ref (local `#/$defs/...` or `#/definitions/...`), oneOf,
 * anyOf, allOf. Annotations ($schema, $id, title, description, default, examples, $comment, $defs,
 * definitions) are ignored. Any other keyword throws, so a schema never silently relies on something this
 * validator does not check.
 *
 * @example
 * const errors = validateJsonSchema(schema, JSON.parse(text));   // [] when valid
 * expectSchemaValid(schema, value);                              // throws with every error listed
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

export type JsonSchema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', '$comment', '$defs', 'definitions']);
const SUPPORTED = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'enum', 'const', 'minimum', 'maximum', 'pattern', '$ref', 'oneOf', 'anyOf', 'allOf',
]);

export interface SchemaError {
  /** JSON pointer-like path of the offending value, e.g. `/sections/clean/metrics/count`. */
  path: string;
  message: string;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match || typeof root !== 'object') throw new Error(`json-schema helper: only local #/$defs/NAME refs are supported; got ${ref}`);
  const defs = root[match[1]] as Record<string, JsonSchema> | undefined;
  const target = defs?.[decodeURIComponent(match[2]).replace(/~1/g, '/').replace(/~0/g, '~')];
  if (target === undefined) throw new Error(`json-schema helper: unresolved $ref ${ref}`);
  return target;
}

function validateAt(root: JsonSchema, schema: JsonSchema, value: unknown, at: string, errors: SchemaError[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push({ path: at, message: 'no value is allowed here' });
    return;
  }
  for (const keyword of Object.keys(schema)) {
    if (!SUPPORTED.has(keyword) && !ANNOTATIONS.has(keyword)) throw new Error(`json-schema helper: keyword "${keyword}" at ${at || '/'} is not supported; extend test/helpers/json-schema.ts or avoid it`);
  }
  if (typeof schema.$ref === 'string') validateAt(root, resolveRef(root, schema.$ref), value, at, errors);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      errors.push({ path: at, message: `expected ${types.join(' or ')}, got ${typeOf(value)}` });
      return;
    }
  }
  if (schema.const !== undefined && !deepEqual(value, schema.const)) errors.push({ path: at, message: `expected the constant ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}` });
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, value))) errors.push({ path: at, message: `expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}` });
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push({ path: at, message: `${value} is below the minimum ${schema.minimum}` });
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push({ path: at, message: `${value} is above the maximum ${schema.maximum}` });
  }
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push({ path: at, message: `"${value.length > 60 ? value.slice(0, 60) + '…' : value}" does not match /${schema.pattern}/` });
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push({ path: at, message: `${value.length} items, at least ${schema.minItems} required` });
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push({ path: at, message: `${value.length} items, at most ${schema.maxItems} allowed` });
    if (schema.items !== undefined) value.forEach((item, i) => validateAt(root, schema.items as JsonSchema, item, `${at}/${i}`, errors));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in object)) errors.push({ path: at, message: `missing required property "${key}"` });
    for (const [key, child] of Object.entries(object)) {
      if (key in properties) validateAt(root, properties[key], child, `${at}/${key}`, errors);
      else if (schema.additionalProperties === false) errors.push({ path: `${at}/${key}`, message: `unknown property "${key}"` });
      else if (schema.additionalProperties !== undefined && schema.additionalProperties !== true) validateAt(root, schema.additionalProperties as JsonSchema, child, `${at}/${key}`, errors);
    }
  }
  if (Array.isArray(schema.allOf)) for (const sub of schema.allOf as JsonSchema[]) validateAt(root, sub, value, at, errors);
  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as JsonSchema[]).map((sub) => collect(root, sub, value, at));
    if (!branches.some((b) => b.length === 0)) errors.push({ path: at, message: `matches none of anyOf: ${bestBranch(branches)}` });
  }
  if (Array.isArray(schema.oneOf)) {
    const branches = (schema.oneOf as JsonSchema[]).map((sub) => collect(root, sub, value, at));
    const passing = branches.filter((b) => b.length === 0).length;
    if (passing === 0) errors.push({ path: at, message: `matches none of oneOf: ${bestBranch(branches)}` });
    else if (passing > 1) errors.push({ path: at, message: `matches ${passing} branches of oneOf (exactly one required)` });
  }
}

function collect(root: JsonSchema, schema: JsonSchema, value: unknown, at: string): SchemaError[] {
  const errors: SchemaError[] = [];
  validateAt(root, schema, value, at, errors);
  return errors;
}

/** The errors of the branch that came closest (fewest errors), to make union failures readable. */
function bestBranch(branches: SchemaError[][]): string {
  const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
  return best.slice(0, 3).map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
}

/** Validates `value` against `schema`; returns every error found (empty when valid). */
export function validateJsonSchema(schema: JsonSchema, value: unknown): SchemaError[] {
  return collect(schema, schema, value, '');
}

/** Throws an Error listing up to 20 schema errors when `value` does not validate. */
export function expectSchemaValid(schema: JsonSchema, value: unknown, what = 'value'): void {
  const errors = validateJsonSchema(schema, value);
  if (errors.length > 0) {
    throw new Error(`${what} does not match the schema (${errors.length} errors):\n${errors.slice(0, 20).map((e) => `  ${e.path || '/'}: ${e.message}`).join('\n')}`);
  }
}

/** The published results.json schema (schema/results.schema.json). */
export function resultsSchema(): JsonSchema {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'schema', 'results.schema.json'), 'utf8')) as JsonSchema;
}

/** Reads a results.json file and checks it against the published schema (throws with the errors). */
export function expectValidResultsFile(file: string): unknown {
  const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  expectSchemaValid(resultsSchema(), value, file);
  return value;
}
