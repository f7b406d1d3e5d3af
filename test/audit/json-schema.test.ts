/**
 * The test-suite JSON Schema validator (test/helpers/json-schema.ts) against hand-written cases for every
 * keyword it supports, and the published results schema against a results object built in memory (valid, and
 * invalid in several specific ways).
 */
import { describe, it, expect } from 'vitest';
import { validateJsonSchema, resultsSchema, expectSchemaValid, type JsonSchema } from '../helpers/json-schema.js';
import { resolveAuditConfig } from '../../src/report/audit/config.js';
import { summarize } from '../../src/report/audit/summary.js';
import type { AuditResults } from '../../src/report/audit/results.js';

const paths = (schema: JsonSchema, value: unknown) => validateJsonSchema(schema, value).map((e) => `${e.path}: ${e.message}`);

describe('json-schema helper', () => {
  it('type, integer vs number, null, arrays of types', () => {
    expect(paths({ type: 'integer' }, 3)).toEqual([]);
    expect(paths({ type: 'integer' }, 3.5)).toEqual([': expected integer, got number']);
    expect(paths({ type: 'number' }, 3)).toEqual([]);
    expect(paths({ type: ['string', 'null'] }, null)).toEqual([]);
    expect(paths({ type: 'object' }, [])).toEqual([': expected object, got array']);
  });

  it('properties, required, additionalProperties false and as a schema', () => {
    const schema: JsonSchema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'b'], additionalProperties: false };
    expect(paths(schema, { a: 1, c: true })).toEqual([': missing required property "b"', '/a: expected string, got integer', '/c: unknown property "c"']);
    expect(paths({ type: 'object', additionalProperties: { type: 'number' } }, { x: 1, y: 'no' })).toEqual(['/y: expected number, got string']);
  });

  it('items, minItems, maxItems, enum, const, minimum, maximum, pattern', () => {
    const items = paths({ type: 'array', items: { minimum: 0, maximum: 1 }, minItems: 1, maxItems: 2 }, [0.5, 2, -1]);
    expect(items).toHaveLength(3);
    expect(items).toEqual(expect.arrayContaining(['/1: 2 is above the maximum 1', '/2: -1 is below the minimum 0', ': 3 items, at most 2 allowed']));
    expect(paths({ type: 'array', minItems: 1 }, [])).toEqual([': 0 items, at least 1 required']);
    expect(paths({ enum: ['a', 1] }, 'b')).toEqual([': expected one of ["a",1], got "b"']);
    expect(paths({ const: { k: [1] } }, { k: [1] })).toEqual([]);
    expect(paths({ const: 1 }, 2)).toHaveLength(1);
    expect(paths({ type: 'string', pattern: '^[0-9a-f]{4}$' }, 'beef')).toEqual([]);
    expect(paths({ type: 'string', pattern: '^[0-9a-f]{4}$' }, 'BEEF')).toHaveLength(1);
  });

  it('$ref to $defs, oneOf (exactly one), anyOf (at least one)', () => {
    const schema: JsonSchema = { $defs: { pos: { type: 'number', minimum: 0 } }, type: 'array', items: { $ref: '#/$defs/pos' } };
    expect(paths(schema, [1, -1])).toEqual(['/1: -1 is below the minimum 0']);
    const one: JsonSchema = { oneOf: [{ type: 'integer' }, { type: 'number', minimum: 0 }] };
    expect(paths(one, -1.5)).toHaveLength(1);
    expect(paths(one, 2)[0]).toMatch(/matches 2 branches/);
    expect(paths(one, -2)).toEqual([]);
    expect(paths({ anyOf: [{ type: 'string' }, { type: 'null' }] }, 3)[0]).toMatch(/matches none of anyOf/);
  });

  it('refuses keywords it does not implement, and unresolved refs', () => {
    expect(() => validateJsonSchema({ type: 'string', format: 'date-time' }, 'x')).toThrow(/keyword "format"/);
    expect(() => validateJsonSchema({ $ref: '#/$defs/nope', $defs: {} }, 1)).toThrow(/unresolved \$ref/);
  });
});

function minimalResults(): AuditResults {
  const config = resolveAuditConfig({ sections: [{ type: 'clean', samples: 2 }, { type: 'certification', method: 'crown' }] });
  const sha = 'a'.repeat(64);
  const timing = { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', seconds: 1 };
  const sections: AuditResults['sections'] = {
    clean: { id: 'clean', type: 'clean', title: 'Clean accuracy', status: 'ok', method: 'top-1', parameters: { samples: 2 }, samples: 2, metrics: { cleanAccuracy: 0.5, correct: 1, count: 2, perClassAccuracy: [1, 0, null], confusionMatrix: [[1, 0, 0], [1, 0, 0], [0, 0, 0]], samplesPerSecond: 10 }, warnings: [], timing },
    crown: { id: 'crown', type: 'certification', title: 'Certified robustness (crown)', status: 'skipped', reason: 'not available', method: 'crown', parameters: {}, samples: 0, metrics: null, warnings: [{ code: 'x', message: 'y' }], timing },
  };
  return {
    schemaVersion: 1,
    kind: 'rampart-audit',
    status: 'complete',
    manifest: {
      tool: { name: 'rampart', version: '0.1.0' }, command: 'rampart audit', argv: ['audit'], startedAt: timing.startedAt, finishedAt: timing.finishedAt,
      environment: { node: 'v20', tfjs: '4', onnxruntime: null, backend: 'cpu', platform: 'linux', arch: 'x64', cpus: 2 },
      model: { spec: 'm', format: 'tfjs-layers', sha256: sha, inputShape: [2], numClasses: 3, bounds: [0, 1] },
      data: { spec: 'd', count: 2, sampleShape: [2], sha256: sha },
      config: JSON.parse(JSON.stringify(config)), configSha256: sha, configSource: 'default', seed: 0,
      timings: [{ section: 'clean', seconds: 1, resumed: false }], totalSeconds: 2, resumed: null,
    },
    sectionOrder: ['clean', 'crown'],
    sections,
    summary: summarize(['clean', 'crown'], sections),
    gallery: [],
    warnings: [{ code: 'x', message: 'y', section: 'crown' }],
  };
}

describe('schema/results.schema.json', () => {
  it('accepts a minimal results object built from the TypeScript types', () => {
    expectSchemaValid(resultsSchema(), minimalResults(), 'minimal results');
  });

  it('rejects a wrong schemaVersion, a fraction above 1, a section whose metrics do not fit its type, unknown keys, a bad sha', () => {
    const schema = resultsSchema();
    const bad = (mutate: (r: AuditResults & Record<string, unknown>) => void) => {
      const r = minimalResults() as AuditResults & Record<string, unknown>;
      mutate(r);
      return validateJsonSchema(schema, r);
    };
    expect(bad((r) => ((r as { schemaVersion: number }).schemaVersion = 2))).not.toEqual([]);
    expect(bad((r) => ((r.sections.clean.metrics as { cleanAccuracy: number }).cleanAccuracy = 1.5))).not.toEqual([]);
    expect(bad((r) => ((r.sections.clean as { type: string }).type = 'ood'))).not.toEqual([]);
    expect(bad((r) => (r.extra = 1))).toEqual([{ path: '/extra', message: 'unknown property "extra"' }]);
    expect(bad((r) => (r.manifest.model.sha256 = 'xyz'))).toHaveLength(1);
    expect(bad((r) => delete (r.summary as Partial<AuditResults['summary']>).ece)).toEqual([{ path: '/summary', message: 'missing required property "ece"' }]);
  });
});
