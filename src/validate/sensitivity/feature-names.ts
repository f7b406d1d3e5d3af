/**
 * Feature names of tabular data for sensitivity tables: the header of a `csv:` data spec with the label column
 * removed. Used by `rampart sensitivity` and the audit's sensitivity section.
 *
 * @example
 * csvFeatureNames('csv:examples/tabular/breast-cancer-test.csv'); // ['mean_radius', 'mean_texture', ...]
 */
import fs from 'node:fs';

/** The CSV header's column names without the label column, or undefined when the spec is not a readable CSV. */
export function csvFeatureNames(spec: string, labelColumn = 'label'): string[] | undefined {
  if (!spec.startsWith('csv:')) return undefined;
  try {
    const header = fs.readFileSync(spec.slice(4), 'utf8').split(/\r?\n/, 1)[0].split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    return header.filter((name) => name !== labelColumn);
  } catch {
    return undefined;
  }
}

/** Names for `count` features: the CSV header's when it has exactly that many, else undefined (generic names). */
export function featureNamesFor(spec: string, count: number, labelColumn = 'label'): string[] | undefined {
  const names = csvFeatureNames(spec, labelColumn);
  return names && names.length === count ? names : undefined;
}
