/** The report layer: result envelope, audit results (results.json), robustness card. */
export { toolVersion, type ResultEnvelope } from './result.js';
export * from './audit/results.js';
export { renderReport, toReportView, reportCss, type ReportView, type RenderOptions } from './html/index.js';
export { evaluateGates, evaluateGatesOnView, parseGate, formatGateTable, readResultsFile, type GateReport, type GateResult, type GateExpression, type Comparator } from './gate.js';
export { metricCatalog, listMetricValues, lookupMetric, type MetricDefinition, type MetricValue } from './gate-metrics.js';
export { gateJunitXml, type JunitOptions } from './junit.js';
export { compareResults, formatComparisonTable, renderComparisonHtml, type Comparison, type MetricDelta } from './compare.js';
