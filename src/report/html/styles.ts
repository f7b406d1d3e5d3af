/**
 * The report's inline CSS (shared by `rampart compare --html`): system fonts only, readable line length,
 * high-contrast colours, visible focus, and print rules (no page break inside a figure or a table row).
 */
export const reportCss = `
:root { --fg: #111827; --muted: #4b5563; --line: #d1d5db; --bg: #ffffff; --soft: #f3f4f6; --good: #065f46; --good-bg: #d1fae5; --bad: #991b1b; --bad-bg: #fee2e2; --warn: #92400e; --warn-bg: #fef3c7; --accent: #0b5394; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); font-size: 15px; line-height: 1.5; }
body { margin: 0 auto; max-width: 1120px; padding: 24px 28px 64px; }
a { color: var(--accent); }
a:focus, summary:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }
header.report-head { border-bottom: 2px solid var(--fg); margin-bottom: 20px; padding-bottom: 12px; }
h1 { font-size: 1.7rem; margin: 0 0 6px; }
h2 { font-size: 1.25rem; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.02rem; margin: 18px 0 6px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 10px; max-width: 80ch; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; font-size: 0.9rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.88em; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
nav.toc ul { display: flex; flex-wrap: wrap; gap: 6px 14px; list-style: none; padding: 0; margin: 8px 0 0; font-size: 0.9rem; }
.scorecard { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin: 12px 0; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--soft); break-inside: avoid; }
.tile .label { font-size: 0.8rem; color: var(--muted); }
.tile .value { font-size: 1.5rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .sub { font-size: 0.78rem; color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
figure { margin: 0; break-inside: avoid; page-break-inside: avoid; max-width: 100%; }
figure .chart { min-height: 60px; max-width: 100%; overflow-x: auto; }
figcaption { font-size: 0.85rem; color: var(--muted); max-width: 60ch; margin-top: 4px; }
details { margin: 6px 0; font-size: 0.85rem; }
summary { cursor: pointer; color: var(--accent); }
table { border-collapse: collapse; font-size: 0.88rem; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
td:last-child { overflow-wrap: anywhere; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; }
tr { break-inside: avoid; }
.pass { color: var(--good); background: var(--good-bg); font-weight: 600; }
.fail { color: var(--bad); background: var(--bad-bg); font-weight: 600; }
.better { color: var(--good); }
.worse { color: var(--bad); }
ul.warnings { list-style: none; padding: 0; }
ul.warnings li { border-left: 4px solid #d97706; background: var(--warn-bg); color: var(--warn); padding: 6px 10px; margin: 6px 0; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; }
.example { border: 1px solid var(--line); border-radius: 8px; padding: 8px; break-inside: avoid; }
.example .imgs { display: flex; gap: 6px; }
.example figure { text-align: center; }
.example img { width: 96px; height: 96px; image-rendering: pixelated; border: 1px solid var(--line); display: block; }
.example figcaption { font-size: 0.75rem; margin: 2px 0 0; }
.example p { margin: 6px 0 0; font-size: 0.82rem; }
.saliency-gallery { grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); }
.saliency-row { border-top: 1px solid var(--line); padding-top: 6px; margin-top: 6px; }
.saliency-example .imgs img { width: 80px; height: 80px; }
footer { margin-top: 40px; font-size: 0.8rem; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav.toc, details summary { display: none; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .tile, .example { background: none; }
}
`;
