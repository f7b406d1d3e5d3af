import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVnnlib } from './vnnlib.js';
import { formatVnncompResult } from './vnncomp.js';
import { RampartError } from '../errors.js';
import { sharedDir } from '../../test/helpers/shared.js';

const benchmarks = path.join(sharedDir(), 'benchmarks');
const files = (name: string) =>
  fs
    .readdirSync(path.join(benchmarks, name, 'vnnlib'))
    .filter((f) => f.endsWith('.vnnlib'))
    .map((f) => path.join(benchmarks, name, 'vnnlib', f));

function parseError(text: string): RampartError {
  try {
    parseVnnlib(text, 'bad.vnnlib');
  } catch (e) {
    if (e instanceof RampartError) return e;
    throw e;
  }
  throw new Error('expected a parse error');
}

const header = '(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n';
const box = '(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= X_1 1))\n(assert (>= X_1 -1))\n';

describe('parseVnnlib on the benchmark files', () => {
  it('parses all 10 ACAS Xu properties into boxes and output conjunctions', () => {
    const all = files('acasxu');
    expect(all).toHaveLength(10);
    for (const file of all) {
      const property = parseVnnlib(fs.readFileSync(file, 'utf8'), file);
      expect(property.inputSize).toBe(5);
      expect(property.outputSize).toBe(5);
      for (const c of property.cases) {
        for (let i = 0; i < 5; i++) expect(c.box.lower[i]).toBeLessThanOrEqual(c.box.upper[i]);
        expect(c.outputs.length).toBeGreaterThan(0);
      }
    }
  });

  it('reads property 1 (one bound on Y_0) and property 2 (Y_0 maximal) exactly', () => {
    const p1 = parseVnnlib(fs.readFileSync(path.join(benchmarks, 'acasxu/vnnlib/prop_1.vnnlib'), 'utf8'));
    expect(p1.cases).toHaveLength(1);
    expect(Array.from(p1.cases[0].box.lower)).toEqual([0.6, -0.5, -0.5, 0.45, -0.5]);
    expect(Array.from(p1.cases[0].box.upper)).toEqual([0.679857769, 0.5, 0.5, 0.5, -0.45]);
    // (>= Y_0 3.991125645861615) → −Y_0 ≤ −3.991…
    expect(p1.cases[0].outputs).toHaveLength(1);
    const [c] = p1.cases[0].outputs[0].constraints;
    expect(Array.from(c.coefficients)).toEqual([-1, 0, 0, 0, 0]);
    expect(c.rhs).toBe(-3.991125645861615);

    const p2 = parseVnnlib(fs.readFileSync(path.join(benchmarks, 'acasxu/vnnlib/prop_2.vnnlib'), 'utf8'));
    const constraints = p2.cases[0].outputs[0].constraints;
    expect(constraints).toHaveLength(4);
    // (<= Y_1 Y_0): Y_1 − Y_0 ≤ 0
    expect(Array.from(constraints[0].coefficients)).toEqual([-1, 1, 0, 0, 0]);
    expect(constraints[0].rhs).toBe(0);
  });

  it('splits property 6 into its two input boxes, each with four output disjuncts', () => {
    const p6 = parseVnnlib(fs.readFileSync(path.join(benchmarks, 'acasxu/vnnlib/prop_6.vnnlib'), 'utf8'));
    expect(p6.cases).toHaveLength(2);
    expect(p6.cases[0].box.lower[1]).toBeCloseTo(0.11140846, 12);
    expect(p6.cases[1].box.upper[1]).toBeCloseTo(-0.11140846, 12);
    for (const c of p6.cases) expect(c.outputs).toHaveLength(4);
  });

  it('parses all 30 mnist_fc properties: 784 inputs in [0,1], 9 disjuncts of one constraint', () => {
    const all = files('mnist_fc');
    expect(all).toHaveLength(30);
    for (const file of all) {
      const property = parseVnnlib(fs.readFileSync(file, 'utf8'), file);
      expect(property.inputSize).toBe(784);
      expect(property.outputSize).toBe(10);
      expect(property.cases).toHaveLength(1);
      const [c] = property.cases;
      expect(c.outputs).toHaveLength(9);
      for (const o of c.outputs) expect(o.constraints).toHaveLength(1);
      expect(Math.min(...c.box.lower)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...c.box.upper)).toBeLessThanOrEqual(1);
      const eps = file.includes('0.03') ? 0.03 : 0.05;
      for (let i = 0; i < 784; i++) expect(c.box.upper[i] - c.box.lower[i]).toBeLessThanOrEqual(2 * eps + 1e-6);
    }
  });
});

describe('parseVnnlib on small and malformed input', () => {
  it('expands nested and/or into DNF and accepts SMT-LIB negatives and comments', () => {
    const text = `${header}; a comment\n${box}(assert (and (or (<= Y_0 (- 0.5)) (>= Y_1 2e-1)) (<= Y_0 Y_1))) ; trailing\n`;
    const p = parseVnnlib(text);
    expect(p.cases).toHaveLength(1);
    expect(p.cases[0].outputs).toHaveLength(2);
    const [first, second] = p.cases[0].outputs;
    expect(first.constraints.map((c) => [Array.from(c.coefficients), c.rhs])).toEqual([
      [[1, 0], -0.5],
      [[1, -1], 0],
    ]);
    expect(second.constraints.map((c) => [Array.from(c.coefficients), c.rhs])).toEqual([
      [[0, -1], -0.2],
      [[1, -1], 0],
    ]);
  });

  it('accepts a constant on the left (3 <= Y_0 is −Y_0 ≤ −3)', () => {
    const p = parseVnnlib(`${header}${box}(assert (<= 3 Y_0))`);
    expect(Array.from(p.cases[0].outputs[0].constraints[0].coefficients)).toEqual([-1, 0]);
    expect(p.cases[0].outputs[0].constraints[0].rhs).toBe(-3);
  });

  const cases: [string, string, RegExp, number, number][] = [
    ['unbalanced close', `${header}${box})`, /bad\.vnnlib:9:1: unbalanced "\)"/, 9, 1],
    ['unclosed', `${header}${box}(assert (<= Y_0 1)`, /bad\.vnnlib:9:1: this "\(" is never closed/, 9, 1],
    ['strict comparison', `${header}${box}(assert (< Y_0 1))`, /bad\.vnnlib:9:10: strict comparison "<"/, 9, 10],
    ['unknown operator', `${header}${box}(assert (not (<= Y_0 1)))`, /bad\.vnnlib:9:10: unsupported operator "not"/, 9, 10],
    ['undeclared variable', `${header}${box}(assert (<= Y_7 1))`, /bad\.vnnlib:9:13: Y_7 is used but not declared/, 9, 13],
    ['input vs input', `${header}${box}(assert (<= X_0 X_1))`, /bad\.vnnlib:9:10: comparisons between two variables/, 9, 10],
    ['bad sort', '(declare-const X_0 Int)', /bad\.vnnlib:1:20: only Real variables/, 1, 20],
    ['bad name', '(declare-const foo Real)', /bad\.vnnlib:1:16: variable names must be X_<i>/, 1, 16],
    ['unknown command', `${header}(check-sat)`, /bad\.vnnlib:5:2: unsupported command "check-sat"/, 5, 2],
    ['bad operand', `${header}${box}(assert (<= Y_0 abc))`, /bad\.vnnlib:9:17: "abc" is neither a number/, 9, 17],
  ];
  for (const [name, text, pattern, line, column] of cases) {
    it(`reports ${name} with line and column`, () => {
      const error = parseError(text);
      expect(error.code).toBe('DATA_SPEC');
      expect(error.message).toMatch(pattern);
      expect(error.details).toMatchObject({ line, column });
    });
  }

  it('reports an unbounded input and a file without asserts', () => {
    expect(parseError(`${header}(assert (<= X_0 1))(assert (>= X_0 0))(assert (<= Y_0 1))`).message).toMatch(/input X_1 has no lower bound/);
    expect(parseError(header).message).toMatch(/no \(assert/);
  });
});

describe('formatVnncompResult', () => {
  it('writes unsat / timeout as one line and sat with the counterexample assignments', () => {
    expect(formatVnncompResult({ status: 'unsat' })).toBe('unsat\n');
    expect(formatVnncompResult({ status: 'timeout', reason: 'x' })).toBe('timeout\n');
    const text = formatVnncompResult({ status: 'sat', counterexample: { input: Float64Array.of(0.5, -1), output: Float64Array.of(2.25) } });
    expect(text).toBe('sat\n((X_0 0.5)\n(X_1 -1.0)\n(Y_0 2.25))\n');
  });
});
