/** The report layer: result envelope, audit results (results.json), robustness card. */
export { toolVersion, type ResultEnvelope } from './result.js';
export * from './audit/results.js';
export { runAudit, writeJsonAtomic, RESULTS_FILE, CARD_FILE, HTML_FILE, type RunAuditOptions, type AuditEvent, type HtmlRenderer } from './audit/run.js';
export { resolveAuditConfig, parseAuditConfig, readAuditConfig, auditConfigSchema, configSha256, DEFAULT_SECTIONS, type AuditConfig, type AuditConfigInput, type SectionConfig } from './audit/config.js';
export { sectionRunners } from './audit/registry.js';
export { renderCard } from './card.js';
export { renderReport, toReportView, reportCss, type ReportView, type RenderOptions } from './html/index.js';
export { evaluateGates, evaluateGatesOnView, parseGate, formatGateTable, readResultsFile, type GateReport, type GateResult, type GateExpression, type Comparator } from './gate.js';
export { metricCatalog, listMetricValues, lookupMetric, type MetricDefinition, type MetricValue } from './gate-metrics.js';
export { gateJunitXml, type JunitOptions } from './junit.js';
export { compareResults, formatComparisonTable, renderComparisonHtml, type Comparison, type MetricDelta } from './compare.js';
export { validateSnapshot, judgeCheck, formatBlessing, blessingSemantics, type BlessingRecord, type CheckRecord, type ValidateSnapshotOptions } from './snapshot.js';
export { parsePolicy, validatePolicy, policySchema, type SnapshotPolicy, type PolicyCheck } from './snapshot-policy.js';
