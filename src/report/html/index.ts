/** The HTML report: a pure function of a results JSON (see render.ts). */
export { renderReport, vegaRuntimeSource, escapeHtml, htmlTable, percent } from './render.js';
export type { RenderOptions } from './render.js';
export { toReportView, oodSetName } from './view.js';
export type { ReportView, ImageRef, GalleryItem, ReportWarning, SweepPoint, MethodNote } from './view.js';
export { reportCss } from './styles.js';
