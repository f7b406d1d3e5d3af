/** Gates: the expression parser, metric paths read from real results, comparisons, JUnit XML. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compare, evaluateGates, formatGateTable, parseGate } from '../../src/report/gate.js';
import { listMetricValues } from '../../src/report/gate-metrics.js';
import { gateJunitXml } from '../../src/report/junit.js';
import { toReportView } from '../../src/report/html/view.js';
import { isRampartError } from '../../src/errors.js';
import { repoRoot } from '../helpers/cli.js';
import { checkXml } from './xml.js';

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'report', name), 'utf8')) as Record<string, unknown>;
const audit = fixture('audit-results.json');

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (e) {
    if (isRampartError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a RampartError');
}

describe('parseGate', () => {
  it('reads metric, arguments, comparator and number', () => {
    expect(parseGate('robustAccuracy[linf,0.1] >= 0.80')).toEqual({ source: 'robustAccuracy[linf,0.1] >= 0.80', metric: 'robustAccuracy', args: ['linf', '0.1'], comparator: '>=', threshold: 0.8 });
    expect(parseGate('  mCE<=1.1 ')).toMatchObject({ metric: 'mCE', args: [], comparator: '<=', threshold: 1.1 });
    expect(parseGate('oodAuroc[ noise , msp ] != 5e-1')).toMatchObject({ args: ['noise', 'msp'], comparator: '!=', threshold: 0.5 });
    expect(parseGate('cleanAccuracy > 95%').threshold).toBeCloseTo(0.95, 15);
    expect(parseGate('ece < .05')).toMatchObject({ comparator: '<', threshold: 0.05 });
  });

  it.each([
    ['robustAccuracy[linf,0.1] => 0.8', 'comparator'],
    ['robustAccuracy[linf,0.1 >= 0.8', 'unclosed'],
    ['cleanAccuracy >= ', 'expected a number'],
    ['>= 0.5', 'metric name'],
    ['cleanAccuracy >= 0.5 and mCE < 1', 'unexpected'],
    ['robustAccuracy[linf,] >= 0.5', 'argument 2'],
    ['cleanAccuracy = 0.9', 'comparator'],
  ])('rejects %s', (expression, words) => {
    const error = errorOf(() => parseGate(expression));
    expect(error.code).toBe('BAD_OPTION');
    expect(error.message).toContain(words);
    expect(error.message).toContain('column');
  });

  it('round-trips any well-formed gate (property)', () => {
    const name = fc.constantFrom('cleanAccuracy', 'robustAccuracy', 'oodAuroc', 'mCE');
    const arg = fc.stringMatching(/^[a-z0-9.-]{1,8}$/);
    const op = fc.constantFrom('<', '<=', '>', '>=', '==', '!=');
    const value = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(name, fc.array(arg, { maxLength: 3 }), op, value, (n, args, c, v) => {
        const text = `${n}${args.length ? `[${args.join(',')}]` : ''} ${c} ${v}`;
        const gate = parseGate(text);
        return gate.metric === n && gate.args.join(',') === args.join(',') && gate.comparator === c && gate.threshold === v;
      }),
    );
  });
});

describe('compare', () => {
  it('applies each comparator, treating values within 1e-12 as equal', () => {
    expect([compare(0.5, '<', 0.6), compare(0.6, '<', 0.6), compare(0.6, '<=', 0.6), compare(0.7, '<=', 0.6)]).toEqual([true, false, true, false]);
    expect([compare(0.7, '>', 0.6), compare(0.6, '>', 0.6), compare(0.6, '>=', 0.6), compare(0.5, '>=', 0.6)]).toEqual([true, false, true, false]);
    expect([compare(0.1 + 0.2, '==', 0.3), compare(0.1 + 0.2, '!=', 0.3), compare(0.3, '!=', 0.31)]).toEqual([true, false, true]);
    expect(compare(0.1 + 0.2, '<=', 0.3)).toBe(true); // 0.30000000000000004
  });
});

describe('metric paths on a real audit results.json', () => {
  const view = toReportView(audit);
  const values = new Map(listMetricValues(view).map((v) => [v.path, v.value]));
  const summary = audit.summary as Record<string, unknown>;

  it('agree with the audit summary for every headline metric', () => {
    expect(values.get('cleanAccuracy')).toBe(summary.cleanAccuracy);
    for (const r of summary.robustAccuracy as { norm: string; epsilon: number; attack: string; robustAccuracy: number }[]) {
      const key = r.attack === 'worst-case' ? `robustAccuracy[${r.norm},${r.epsilon}]` : `robustAccuracy[${r.norm},${r.epsilon},${r.attack}]`;
      expect(values.get(key), key).toBe(r.robustAccuracy);
    }
    expect(values.get('mCE')).toBe(summary.mCE);
    expect(values.get('relativeMCE')).toBe(summary.relativeMCE);
    expect(values.get('corruptionAccuracy')).toBe(summary.corruptionAccuracy);
    for (const [set, auroc] of Object.entries(summary.oodAuroc as Record<string, number>)) expect(values.get(`oodAuroc[${set}]`)).toBe(auroc);
    for (const [set, fpr] of Object.entries(summary.oodFpr95 as Record<string, number>)) expect(values.get(`oodFpr95[${set}]`)).toBe(fpr);
    expect(values.get('ece')).toBe(summary.ece);
    expect(values.get('flipProbability')).toBe(summary.meanFlipProbability);
    const certified = summary.certifiedAccuracy as { method: string; epsilon: number; certifiedAccuracy: number }[];
    expect(certified.length).toBe(7);
    for (const c of certified) expect(values.get(`certifiedAccuracy[${c.method},${c.epsilon}]`)).toBe(c.certifiedAccuracy);
  });

  it('pass and fail as the numbers say (hand-checked against the fixture)', () => {
    // Fixture: clean 0.965, worst case linf ε=0.1 0.55, mCE 0.853, oodAuroc[noise] 0.0535, ECE 0.0222.
    const report = evaluateGates(audit, ['cleanAccuracy >= 0.95', 'robustAccuracy[linf,0.10] >= 0.55', 'robustAccuracy[linf,0.1] >= 0.80', 'mCE <= 1.1', 'oodAuroc[noise] > 0.9', 'ece < 0.05', 'robustAccuracy[linf,0.1,fgsm] > 0.7']);
    expect(report.gates.map((g) => [g.path, g.passed])).toEqual([
      ['cleanAccuracy', true],
      ['robustAccuracy[linf,0.1]', true],
      ['robustAccuracy[linf,0.1]', false],
      ['mCE', true],
      ['oodAuroc[noise]', false],
      ['ece', true],
      ['robustAccuracy[linf,0.1,fgsm]', true],
    ]);
    expect(report).toMatchObject({ passed: false, failed: 2 });
    const table = formatGateTable(report);
    expect(table).toMatch(/robustAccuracy\[linf,0\.1\] >= 0\.80 +0\.5500 +FAIL/);
    expect(table).toMatch(/cleanAccuracy >= 0\.95 +0\.9650 +PASS/);
    expect(table).toContain('2 of 7 gates failed');
  });

  it('reports every unknown metric or unmeasured value at once, naming what is available', () => {
    const error = errorOf(() => evaluateGates(audit, ['robustAccuracy[linf,0.3] >= 0.5', 'accuracy >= 0.9', 'certifiedAccuracy[crown,0.1] >= 0.5', 'robustAccuracy[linf] > 0']));
    expect(error.message).toContain('available: certifiedAccuracy[crown,0.01], certifiedAccuracy[crown,0.02], certifiedAccuracy[crown,0.05]');
    const noSection = errorOf(() => evaluateGates(fixture('attack-linf.json'), ['certifiedAccuracy[crown,0.1] >= 0.5']));
    expect(noSection.message).toContain('no certifiedAccuracy section');
    expect(error.code).toBe('BAD_OPTION');
    expect(error.message).toContain('4 gates are not usable');
    expect(error.message).toContain('available: robustAccuracy[linf,0.05], robustAccuracy[linf,0.1]');
    expect(error.message).toContain('unknown metric "accuracy"');
    expect(error.message).toContain('write robustAccuracy[norm,eps] or robustAccuracy[norm,eps,attack]');
  });

  it('oodAuroc[set] follows the audit\'s primary score', () => {
    const copy = structuredClone(audit) as { sections: Record<string, { type: string; metrics: { primaryScore: string } }> };
    const ood = Object.values(copy.sections).find((sec) => sec.type === 'ood')!;
    ood.metrics.primaryScore = 'energy';
    const view = toReportView(copy);
    const energy = listMetricValues(view).find((v) => v.path === 'oodAuroc[noise,energy]')!.value;
    expect(evaluateGates(copy, ['oodAuroc[noise] > 0']).gates[0].actual).toBe(energy);
    expect(energy).not.toBe(values.get('oodAuroc[noise]'));
  });

  it('read single command results too (rampart attack, corruptions)', () => {
    expect(evaluateGates(fixture('attack-linf.json'), ['cleanAccuracy == 0.95', 'robustAccuracy[linf,0.1] == 0.57']).passed).toBe(true);
    expect(evaluateGates(fixture('corruptions.json'), ['corruptionAccuracy[fog] < 0.5', 'flipProbability[translate] > 0']).passed).toBe(true);
  });
});

describe('sensitivity and explanation metrics', () => {
  // The sensitivity and explanations sections of a real audit run, appended to the measured audit.
  const extra = fixture('audit-sensitivity-explanations.json') as { sectionOrder: string[]; sections: Record<string, { metrics?: Record<string, unknown> }> };
  const base = audit as { sectionOrder: string[]; sections: Record<string, unknown> };
  const results = { ...base, sectionOrder: [...base.sectionOrder, ...extra.sectionOrder], sections: { ...base.sections, ...extra.sections } };
  const values = new Map(listMetricValues(toReportView(results)).map((v) => [v.path, v.value]));

  it('reads the largest accuracy drop of the sensitivity section', () => {
    const section = Object.values(extra.sections).find((s) => typeof s.metrics?.maxAccuracyDrop === 'number')!;
    expect(values.get('sensitivityMaxAccuracyDrop')).toBeCloseTo(section.metrics!.maxAccuracyDrop as number, 12);
  });

  it('reads saliency similarity per method and variant, and gates on it', () => {
    const paths = [...values.keys()].filter((p) => p.startsWith('saliencySimilarity['));
    expect(paths).toContain('saliencySimilarity[integrated-gradients,adversarial]');
    for (const p of paths) expect(values.get(p)!).toBeGreaterThan(-1.0001);
    const outcome = evaluateGates(results, ['saliencySimilarity[vanilla,corrupted] >= 2', 'sensitivityMaxAccuracyDrop <= 1']);
    expect(outcome.passed).toBe(false);
    expect(outcome.failed).toBe(1);
  });

  it('has no parameter flip rate when retraining was not configured', () => {
    expect(values.has('parameterFlipRate')).toBe(false);
  });
});

describe('JUnit XML', () => {
  it('is well-formed, one test case per gate, failures carry value and threshold', () => {
    const report = evaluateGates(audit, ['cleanAccuracy >= 0.95', 'robustAccuracy[linf,0.1] >= 0.8', 'oodAuroc[noise] > 0.9']);
    const xml = gateJunitXml(report, { source: 'a "quoted" <path> & more' });
    const { problems, root } = checkXml(xml);
    expect(problems).toEqual([]);
    expect(root!.name).toBe('testsuites');
    expect(root!.attributes).toMatchObject({ tests: '3', failures: '2' });
    const suite = root!.children[0];
    expect(suite.children[0].children[0].attributes.value).toBe('a "quoted" <path> & more');
    const cases = suite.children.filter((c) => c.name === 'testcase');
    expect(cases.map((c) => [c.attributes.name, c.children.some((x) => x.name === 'failure')])).toEqual([
      ['cleanAccuracy >= 0.95', false],
      ['robustAccuracy[linf,0.1] >= 0.8', true],
      ['oodAuroc[noise] > 0.9', true],
    ]);
    expect(cases[1].children[0].attributes.message).toBe('robustAccuracy[linf,0.1] = 0.55, required >= 0.8');
  });

  it('the checker itself rejects broken XML', () => {
    expect(checkXml('<a><b></a></b>').problems.length).toBeGreaterThan(0);
    expect(checkXml('<a x="1" x="2"/>').problems).toContain('duplicate attribute x on <a>');
    expect(checkXml('<a>R&D</a>').problems[0]).toMatch(/^bad entity &D/);
  });
});
