/**
 * VNN-LIB parser for the subset the VNN-COMP benchmarks use (ACAS Xu, mnist_fc, and most others).
 *
 * VNN-LIB 1.0 (Guidotti et al., https://www.vnnlib.org) states a property as SMT-LIB: `(declare-const X_i Real)`
 * for the inputs, `(declare-const Y_j Real)` for the outputs and `(assert F)` formulas whose conjunction describes
 * the UNSAFE set. Supported: `<=`/`>=` between a variable and a number (either side) or between two outputs,
 * `and`/`or` nested freely (expanded to disjunctive normal form, e.g. ACAS Xu property 6's disjunction of input
 * boxes), `;` comments. Everything else is reported with its line and column.
 *
 * The result groups DNF terms by input box: each {@link PropertyCase} is one box with a disjunction of output
 * conjunctions. Every input must be bounded above and below in every term (the benchmarks always are).
 *
 * @example
 * const property = parseVnnlib(fs.readFileSync('prop_1.vnnlib', 'utf8'), 'prop_1.vnnlib');
 * property.cases.length; // 1, with outputs [{constraints: [{coefficients: [-1,0,0,0,0], rhs: -3.99}]}]
 */
import { RampartError } from '../errors.js';
import type { OutputConjunction, OutputConstraint, PropertyCase, VerificationProperty } from './problem.js';

interface Token {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

type SExpr = { readonly kind: 'atom'; readonly token: Token } | { readonly kind: 'list'; readonly items: SExpr[]; readonly token: Token };

/** A DNF literal: Σ coefficients·vars ≤ rhs over one kind of variable. */
interface Literal {
  readonly kind: 'input' | 'output';
  /** For inputs: index and which side; for outputs: the linear constraint. */
  readonly index?: number;
  readonly side?: 'lower' | 'upper';
  readonly value?: number;
  readonly constraint?: OutputConstraint;
}

/** Above this many DNF terms the expansion is refused (a property that large needs a different encoding). */
const MAX_DNF_TERMS = 100_000;

export function parseVnnlib(text: string, source = 'property.vnnlib'): VerificationProperty {
  const fail = (token: Token | undefined, message: string): never => {
    const where = token ? `${source}:${token.line}:${token.column}` : source;
    throw new RampartError('DATA_SPEC', `${where}: ${message}`, { source, line: token?.line, column: token?.column });
  };

  const tokens = tokenize(text);
  const expressions = readExpressions(tokens, fail);

  const inputs = new Set<number>();
  const outputs = new Set<number>();
  const asserts: SExpr[] = [];
  for (const expr of expressions) {
    if (expr.kind !== 'list' || expr.items.length === 0 || expr.items[0].kind !== 'atom') {
      fail(expr.token, 'expected a command such as (declare-const X_0 Real) or (assert ...).');
    }
    const list = expr as Extract<SExpr, { kind: 'list' }>;
    const head = (list.items[0] as Extract<SExpr, { kind: 'atom' }>).token;
    if (head.text === 'declare-const') {
      if (list.items.length !== 3 || list.items[1].kind !== 'atom' || list.items[2].kind !== 'atom') {
        fail(head, 'declare-const takes a name and a sort: (declare-const X_0 Real).');
      }
      const name = (list.items[1] as Extract<SExpr, { kind: 'atom' }>).token;
      const sort = (list.items[2] as Extract<SExpr, { kind: 'atom' }>).token;
      if (sort.text !== 'Real') fail(sort, `only Real variables are supported; got sort "${sort.text}".`);
      const variable = parseVariable(name.text);
      if (!variable) fail(name, `variable names must be X_<i> (inputs) or Y_<j> (outputs); got "${name.text}".`);
      const set = variable!.kind === 'input' ? inputs : outputs;
      if (set.has(variable!.index)) fail(name, `${name.text} is declared twice.`);
      set.add(variable!.index);
    } else if (head.text === 'assert') {
      if (list.items.length !== 2) fail(head, 'assert takes exactly one formula.');
      asserts.push(list.items[1]);
    } else {
      fail(head, `unsupported command "${head.text}"; only declare-const and assert are supported.`);
    }
  }
  const inputSize = contiguousSize(inputs, 'X', fail, tokens[0]);
  const outputSize = contiguousSize(outputs, 'Y', fail, tokens[0]);
  if (inputSize === 0) fail(undefined, 'no input variables: declare them with (declare-const X_0 Real) ...');
  if (outputSize === 0) fail(undefined, 'no output variables: declare them with (declare-const Y_0 Real) ...');
  if (asserts.length === 0) fail(undefined, 'no (assert ...): the file states no property.');

  const toLiteral = (expr: Extract<SExpr, { kind: 'list' }>, op: Token): Literal => {
    if (expr.items.length !== 3) fail(op, `${op.text} takes exactly two arguments.`);
    const left = operand(expr.items[1]);
    const right = operand(expr.items[2]);
    // Normalise to `a ≤ b`.
    const [a, b] = op.text === '<=' ? [left, right] : [right, left];
    if (a.kind === 'number' && b.kind === 'number') fail(op, 'a comparison between two numbers states nothing; compare a variable.');
    if (a.kind === 'variable' && b.kind === 'variable') {
      if (a.variable.kind !== 'output' || b.variable.kind !== 'output') {
        fail(op, 'comparisons between two variables are supported only between two outputs (Y_i <= Y_j).');
      }
      const coefficients = new Float64Array(outputSize);
      coefficients[a.variable.index] += 1;
      coefficients[b.variable.index] -= 1;
      return { kind: 'output', constraint: { coefficients, rhs: 0 } };
    }
    const variable = a.kind === 'variable' ? a.variable : (b as Extract<Operand, { kind: 'variable' }>).variable;
    const value = a.kind === 'number' ? a.value : (b as Extract<Operand, { kind: 'number' }>).value;
    const isUpper = a.kind === 'variable'; // var ≤ value
    if (variable.kind === 'input') return { kind: 'input', index: variable.index, side: isUpper ? 'upper' : 'lower', value };
    const coefficients = new Float64Array(outputSize);
    coefficients[variable.index] = isUpper ? 1 : -1;
    return { kind: 'output', constraint: { coefficients, rhs: isUpper ? value : -value } };
  };

  type Operand = { kind: 'number'; value: number } | { kind: 'variable'; variable: { kind: 'input' | 'output'; index: number } };
  const operand = (expr: SExpr): Operand => {
    if (expr.kind === 'list') {
      // `(- 0.5)` is how SMT-LIB writes negative numbers.
      if (expr.items.length === 2 && expr.items[0].kind === 'atom' && expr.items[0].token.text === '-' && expr.items[1].kind === 'atom') {
        const value = parseNumber(expr.items[1].token.text);
        if (value !== undefined) return { kind: 'number', value: -value };
      }
      return fail(expr.token, 'expected a variable or a number here, not a nested expression.');
    }
    const value = parseNumber(expr.token.text);
    if (value !== undefined) return { kind: 'number', value };
    const variable = parseVariable(expr.token.text);
    if (!variable) return fail(expr.token, `"${expr.token.text}" is neither a number nor an X_i / Y_j variable.`);
    const declared = variable.kind === 'input' ? inputs : outputs;
    if (!declared.has(variable.index)) fail(expr.token, `${expr.token.text} is used but not declared; add (declare-const ${expr.token.text} Real).`);
    return { kind: 'variable', variable };
  };

  /** DNF of a formula: a list of terms, each a list of literals. */
  const toDnf = (expr: SExpr): Literal[][] => {
    if (expr.kind === 'atom') return fail(expr.token, `expected a formula such as (<= X_0 1.0); got "${expr.token.text}".`);
    if (expr.items.length === 0 || expr.items[0].kind !== 'atom') return fail(expr.token, 'expected an operator (and, or, <=, >=) after "(".');
    const op = expr.items[0].token;
    switch (op.text) {
      case '<=':
      case '>=':
        return [[toLiteral(expr, op)]];
      case 'and': {
        let terms: Literal[][] = [[]];
        for (const child of expr.items.slice(1)) {
          const childTerms = toDnf(child);
          if (terms.length * childTerms.length > MAX_DNF_TERMS) fail(op, `the formula expands to more than ${MAX_DNF_TERMS} DNF terms; write it in disjunctive normal form.`);
          terms = terms.flatMap((t) => childTerms.map((c) => [...t, ...c]));
        }
        return terms;
      }
      case 'or': {
        if (expr.items.length < 2) fail(op, '(or) needs at least one operand.');
        return expr.items.slice(1).flatMap((child) => toDnf(child));
      }
      case '<':
      case '>':
        return fail(op, `strict comparison "${op.text}" is not supported; use <= or >= (VNN-LIB benchmarks use non-strict bounds).`);
      default:
        return fail(op, `unsupported operator "${op.text}"; supported: and, or, <=, >=.`);
    }
  };

  let terms: Literal[][] = [[]];
  for (const formula of asserts) {
    const formulaTerms = toDnf(formula);
    if (terms.length * formulaTerms.length > MAX_DNF_TERMS) fail(formula.token, `the asserts expand to more than ${MAX_DNF_TERMS} DNF terms.`);
    terms = terms.flatMap((t) => formulaTerms.map((c) => [...t, ...c]));
  }

  const cases: { lower: Float64Array; upper: Float64Array; outputs: OutputConjunction[] }[] = [];
  const boxKey = new Map<string, number>();
  for (const term of terms) {
    const lower = new Float64Array(inputSize).fill(-Infinity);
    const upper = new Float64Array(inputSize).fill(Infinity);
    const constraints: OutputConstraint[] = [];
    for (const literal of term) {
      if (literal.kind === 'input') {
        const i = literal.index!;
        if (literal.side === 'upper') upper[i] = Math.min(upper[i], literal.value!);
        else lower[i] = Math.max(lower[i], literal.value!);
      } else {
        constraints.push(literal.constraint!);
      }
    }
    for (let i = 0; i < inputSize; i++) {
      if (!Number.isFinite(lower[i]) || !Number.isFinite(upper[i])) {
        fail(asserts[0].token, `input X_${i} has no ${Number.isFinite(lower[i]) ? 'upper' : 'lower'} bound in one of the cases; every input needs (>= X_${i} a) and (<= X_${i} b).`);
      }
    }
    // An empty box contributes nothing to the unsafe set.
    if (lower.some((l, i) => l > upper[i])) continue;
    const key = `${Array.from(lower).join(',')}|${Array.from(upper).join(',')}`;
    let index = boxKey.get(key);
    if (index === undefined) {
      index = cases.length;
      boxKey.set(key, index);
      cases.push({ lower, upper, outputs: [] });
    }
    cases[index].outputs.push({ constraints });
  }
  const result: PropertyCase[] = cases.map((c) => ({ box: { lower: c.lower, upper: c.upper }, outputs: c.outputs }));
  return { inputSize, outputSize, cases: result };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      column = 1;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      column++;
    } else if (ch === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ text: ch, line, column });
      i++;
      column++;
    } else {
      const start = i;
      const startColumn = column;
      while (i < text.length && !/[\s();]/.test(text[i])) {
        i++;
        column++;
      }
      tokens.push({ text: text.slice(start, i), line, column: startColumn });
    }
  }
  return tokens;
}

function readExpressions(tokens: Token[], fail: (token: Token | undefined, message: string) => never): SExpr[] {
  const result: SExpr[] = [];
  const stack: { items: SExpr[]; token: Token }[] = [];
  for (const token of tokens) {
    if (token.text === '(') {
      stack.push({ items: [], token });
    } else if (token.text === ')') {
      const open = stack.pop();
      if (!open) fail(token, 'unbalanced ")": there is no matching "(".');
      const list: SExpr = { kind: 'list', items: open!.items, token: open!.token };
      if (stack.length > 0) stack[stack.length - 1].items.push(list);
      else result.push(list);
    } else {
      const atom: SExpr = { kind: 'atom', token };
      if (stack.length > 0) stack[stack.length - 1].items.push(atom);
      else fail(token, `"${token.text}" outside parentheses; every command is (declare-const ...) or (assert ...).`);
    }
  }
  if (stack.length > 0) fail(stack[stack.length - 1].token, 'this "(" is never closed; the file may be truncated.');
  return result;
}

function parseVariable(name: string): { kind: 'input' | 'output'; index: number } | undefined {
  const match = /^([XY])_(\d+)$/.exec(name);
  if (!match) return undefined;
  return { kind: match[1] === 'X' ? 'input' : 'output', index: Number(match[2]) };
}

function parseNumber(text: string): number | undefined {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function contiguousSize(indices: Set<number>, prefix: string, fail: (token: Token | undefined, message: string) => never, first?: Token): number {
  const size = indices.size;
  for (let i = 0; i < size; i++) {
    if (!indices.has(i)) fail(first, `${prefix} variables must be numbered 0..${size - 1} without gaps; ${prefix}_${i} is missing.`);
  }
  return size;
}
