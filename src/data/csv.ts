/**
 * `csv:PATH` — tabular data: a header row, one sample per row, numeric feature columns and one label
 * column (`label` unless `labelColumn` says otherwise). Features must be finite numbers in [0, 1]; the
 * sample shape is [number of feature columns], in file order.
 *
 * Labels: if every label is a non-negative integer they are used as class indices; otherwise they are
 * class names, and the classes are the distinct names sorted by code point (so `cat, dog` → 0, 1 whatever
 * order the rows come in). Fields may be double-quoted (RFC 4180, `""` for a quote); blank lines are skipped.
 */
import { RampartError } from '../errors.js';
import type { Dataset, OpenOptions } from './dataset.js';
import { readBytes } from './files.js';
import { createDataset } from './source.js';
import { checkPixels } from './validate.js';

interface CsvRecord {
  fields: string[];
  line: number;
}

/** Splits CSV text into records of fields (RFC 4180 quoting), skipping blank lines. */
export function parseCsv(text: string, source = '<csv>'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  const endField = (): void => {
    fields.push(quoted ? field : field.trim());
    field = '';
    quoted = false;
  };
  const endRecord = (): void => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      inQuotes = true;
      quoted = true;
      field = '';
    } else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (!(quoted && (ch === ' ' || ch === '\t'))) field += ch; // spaces after a closing quote are padding
  }
  if (inQuotes) {
    throw new RampartError('DATA_CORRUPT', `${source}: a quoted field starting on line ${recordLine} is never closed.`, {
      line: recordLine,
    });
  }
  endRecord();
  return records;
}

/** Opens `csv:<path>`. */
export async function openCsv(path: string, options: OpenOptions = {}): Promise<Dataset> {
  const spec = `csv:${path}`;
  const text = new TextDecoder('utf-8').decode(await readBytes(path, 'CSV'));
  const records = parseCsv(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, path);
  if (records.length < 2) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `${path}: expected a header row and at least one data row.`);
  }
  const header = records[0].fields;
  const labelColumn = options.labelColumn ?? 'label';
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new RampartError(
      'DATA_SPEC',
      `${path}: no column named "${labelColumn}" (columns: ${header.join(', ')}); ` +
        `set labelColumn (--label-column) to the name of the label column.`,
      { columns: header },
    );
  }
  const featureCount = header.length - 1;
  if (featureCount === 0) {
    throw new RampartError('DATA_SHAPE_MISMATCH', `${path}: the only column is the label; add feature columns.`);
  }
  const rows = records.slice(1);
  const x = new Float32Array(rows.length * featureCount);
  const rawLabels: string[] = [];
  rows.forEach((record, row) => {
    if (record.fields.length !== header.length) {
      throw new RampartError(
        'DATA_CORRUPT',
        `${path}: line ${record.line} has ${record.fields.length} fields, the header has ${header.length}.`,
        { line: record.line },
      );
    }
    let feature = 0;
    record.fields.forEach((cell, column) => {
      if (column === labelIndex) {
        rawLabels.push(cell);
        return;
      }
      const value = cell === '' ? Number.NaN : Number(cell);
      if (Number.isNaN(value) && !/^[+-]?nan$/i.test(cell)) {
        throw new RampartError(
          'DATA_CORRUPT',
          `${path}: line ${record.line}, column "${header[column]}": "${cell}" is not a number; ` +
            `feature columns must be numeric.`,
          { line: record.line, column: header[column] },
        );
      }
      x[row * featureCount + feature++] = value;
    });
  });
  checkPixels(x, featureCount, path);

  let labels: Int32Array;
  let classNames: string[] | undefined;
  if (rawLabels.every((label) => /^[+-]?\d+$/.test(label))) {
    labels = Int32Array.from(rawLabels, (label) => Number.parseInt(label, 10));
    const negative = labels.findIndex((label) => label < 0);
    if (negative >= 0) {
      throw new RampartError(
        'LABEL_OUT_OF_RANGE',
        `${path}: label ${labels[negative]} on line ${rows[negative].line} is negative; ` +
          `labels must be class indices 0..K-1 or class names.`,
        { line: rows[negative].line },
      );
    }
  } else {
    classNames = [...new Set(rawLabels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const indexOf = new Map(classNames.map((name, i) => [name, i]));
    labels = Int32Array.from(rawLabels, (label) => indexOf.get(label) ?? -1);
  }
  return createDataset(
    { spec, pixels: { kind: 'float32', data: x }, labels, sampleShape: [featureCount], classNames },
    options,
  );
}
