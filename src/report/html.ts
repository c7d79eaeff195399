/** The one-page HTML style of tally's reports: self-contained (inline CSS and SVG, no script, no network). */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1c2833; margin: 2rem auto; max-width: 980px; padding: 0 1rem; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d5d8dc; padding-bottom: .2rem; }
  .sub { color: #566573; margin-top: 0; }
  table { border-collapse: collapse; margin: .6rem 0; } th, td { padding: .25rem .7rem; border-bottom: 1px solid #eaecee; text-align: left; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } .up { color: #1e8449; } .down { color: #c0392b; }
  .cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #d5d8dc; border-radius: 6px; padding: .6rem 1rem; min-width: 10rem; }
  .card .big { font-size: 1.3rem; font-weight: 600; }
  svg.chart text { font: 12px system-ui, sans-serif; fill: #1c2833; } svg.chart text.title { font-weight: 600; font-size: 13px; }
  .fail { color: #c0392b; font-weight: 600; } .ok { color: #1e8449; font-weight: 600; }
`;

/** A whole page: title, a subtitle line, and the body sections (already HTML). */
export function page(title: string, subtitle: string, sections: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(subtitle)}</p>
${sections.join('\n')}
</body>
</html>
`;
}

export interface Column {
  title: string;
  numeric?: boolean;
}

/** A table; cells are text (escaped here), or `{ html }` for markup already escaped, with an optional class. */
export function table(columns: readonly Column[], rows: readonly (string | { html: string; cls?: string })[][]): string {
  const head = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.title)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((cell, i) => {
    const cls = [columns[i]?.numeric ? 'num' : '', typeof cell === 'string' ? '' : cell.cls ?? ''].filter(Boolean).join(' ');
    return `<td${cls ? ` class="${cls}"` : ''}>${typeof cell === 'string' ? escapeHtml(cell) : cell.html}</td>`;
  }).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function section(title: string, ...parts: string[]): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${parts.join('\n')}\n</section>`;
}
