/**
 * JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters): one <testsuite> of gates, one <testcase>
 * per gate, a <failure> for each failed gate with the measured value and the threshold. The format follows the
 * widely used Ant/Jenkins JUnit schema (testsuites > testsuite > testcase > failure).
 *
 * @example
 * fs.writeFileSync('junit.xml', gateJunitXml(evaluateGates(results, ['mCE <= 1.1']), { name: 'rampart gate' }));
 */
import type { GateReport } from './gate.js';

/** Escapes text for XML content and attribute values (and drops characters XML 1.0 cannot hold). */
export function escapeXml(value: string): string {
  return value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface JunitOptions {
  /** Suite name (default "rampart gate"). */
  name?: string;
  /** Class name of the test cases (default "rampart.gate"). */
  className?: string;
  /** Where the results came from (a property of the suite). */
  source?: string;
  /** ISO timestamp of the suite (default: none). */
  timestamp?: string;
}

export function gateJunitXml(report: GateReport, options: JunitOptions = {}): string {
  const name = options.name ?? 'rampart gate';
  const className = options.className ?? 'rampart.gate';
  const cases = report.gates.map((g) => {
    const open = `    <testcase classname="${escapeXml(className)}" name="${escapeXml(g.expression)}" time="0">`;
    if (g.passed) return `${open}\n      <system-out>${escapeXml(`${g.path} = ${g.actual}`)}</system-out>\n    </testcase>`;
    const message = `${g.path} = ${g.actual}, required ${g.comparator} ${g.threshold}`;
    return `${open}\n      <failure message="${escapeXml(message)}" type="GateFailed">${escapeXml(message)}</failure>\n    </testcase>`;
  });
  const properties = options.source ? `    <properties>\n      <property name="results" value="${escapeXml(options.source)}"/>\n    </properties>\n` : '';
  const timestamp = options.timestamp ? ` timestamp="${escapeXml(options.timestamp)}"` : '';
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(name)}" tests="${report.gates.length}" failures="${report.failed}" errors="0">`,
    `  <testsuite name="${escapeXml(name)}" tests="${report.gates.length}" failures="${report.failed}" errors="0" skipped="0"${timestamp}>`,
    properties + cases.join('\n'),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
