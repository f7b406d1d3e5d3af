/** csv: loading: integer and string labels, quoting, label column option, and malformed tables. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { loadAll } from './load-all.js';
import { openDataset } from './open.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function csvFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, CRLF and blank lines', () => {
    const records = parseCsv('a,"b, c"\r\n\r\n "x""y" ,2\n');
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b, c'],
      ['x"y', '2'],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 3]);
  });
});

describe('openDataset csv:', () => {
  it('reads integer labels from the "label" column, features in file order', async () => {
    const path = csvFile('ints.csv', 'f1,label,f2\n0.5,1,0.25\n1,0,0\n0,2,0.75\n');
    const ds = await openDataset(`csv:${path}`);
    expect(ds.sampleShape).toEqual([2]);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toBeUndefined();
    const all = await loadAll(ds);
    expect(Array.from(all.x)).toEqual([0.5, 0.25, 1, 0, 0, 0.75]);
    expect(Array.from(all.y)).toEqual([1, 0, 2]);
  });

  it('maps string labels to sorted class names, with a custom label column', async () => {
    const path = csvFile('names.csv', 'species,a,b\ndog,0.1,0.2\ncat,0.3,0.4\n"bird",0.5,0.6\ncat,0,1\n');
    const ds = await openDataset(`csv:${path}`, { labelColumn: 'species', offset: 1 });
    expect(ds.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(ds.count).toBe(3);
    expect(Array.from((await loadAll(ds)).y)).toEqual([1, 0, 1]);
  });

  it.each([
    ['missing-label.csv', 'a,b\n0,1\n', 'DATA_SPEC', /no column named "label" \(columns: a, b\).*labelColumn/],
    ['ragged.csv', 'a,label\n0,1\n0.5\n', 'DATA_CORRUPT', /line 3 has 1 fields, the header has 2/],
    ['text.csv', 'a,label\n0,1\nhigh,0\n', 'DATA_CORRUPT', /line 3, column "a": "high" is not a number/],
    ['empty-cell.csv', 'a,b,label\n0,,1\n', 'DATA_CORRUPT', /column "b": "" is not a number/],
    ['nan.csv', 'a,label\n0,1\nNaN,0\n', 'NON_FINITE_INPUT', /sample 1 contains NaN/],
    ['range.csv', 'a,label\n0,1\n3.5,0\n', 'DATA_SHAPE_MISMATCH', /\[0, 3\.5\].*sample 1/],
    ['negative.csv', 'a,label\n0,1\n0,-2\n', 'LABEL_OUT_OF_RANGE', /label -2 on line 3 is negative/],
    ['header-only.csv', 'a,label\n', 'DATA_SHAPE_MISMATCH', /at least one data row/],
    ['label-only.csv', 'label\n1\n', 'DATA_SHAPE_MISMATCH', /add feature columns/],
    ['open-quote.csv', 'a,label\n"0,1\n', 'DATA_CORRUPT', /never closed/],
  ] as const)('rejects %s with %s', async (name, text, code, message) => {
    await expect(openDataset(`csv:${csvFile(name, text)}`)).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
  });

  it('reports a missing file', async () => {
    await expect(openDataset(`csv:${join(dir, 'absent.csv')}`)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
