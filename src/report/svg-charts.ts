/**
 * Charts as inline SVG text: no script, no network, so a report opens from disk anywhere. Values arrive as
 * decimals and are turned into pixel positions only here (a chart is a picture; the numbers beside it stay exact).
 */
import type { Decimal } from '../pricing/index.js';
import { escapeHtml } from './html.js';

export interface Bar {
  label: string;
  value: Decimal;
  /** Text printed at the end of the bar (default: the value). */
  text?: string;
}

const px = (d: Decimal) => Number(d.toFixed(6));

/**
 * Horizontal bars around a zero line: positive values to the right (green), negative to the left (red);
 * `neutral` draws them all blue (counts and amounts rather than changes).
 */
export function barChart(title: string, bars: readonly Bar[], opts: { width?: number; neutral?: boolean } = {}): string {
  const width = opts.width ?? 720;
  const rowH = 26;
  const labelW = 200;
  const textW = 180;
  const plotW = width - labelW - textW;
  const height = 34 + bars.length * rowH;
  const max = Math.max(1e-12, ...bars.map((b) => Math.abs(px(b.value))));
  const anyNegative = bars.some((b) => b.value.lt(0));
  const zero = labelW + (anyNegative ? plotW / 2 : 0);
  const scale = (anyNegative ? plotW / 2 : plotW) / max;
  const rows = bars.map((b, i) => {
    const y = 28 + i * rowH;
    const v = px(b.value);
    const w = Math.abs(v) * scale;
    const x = v < 0 ? zero - w : zero;
    const color = opts.neutral ? '#2e86c1' : v < 0 ? '#c0392b' : '#27ae60';
    const tx = v < 0 ? Math.min(zero + 4, width - textW) : Math.min(zero + w + 4, width - textW + 4);
    return `<g><text x="${labelW - 6}" y="${y + 15}" text-anchor="end" class="label">${escapeHtml(b.label)}</text>`
      + `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(w, v === 0 ? 0 : 1).toFixed(1)}" height="${rowH - 8}" fill="${color}"><title>${escapeHtml(`${b.label}: ${b.text ?? b.value.toFixed()}`)}</title></rect>`
      + `<text x="${tx.toFixed(1)}" y="${y + 15}" class="value">${escapeHtml(b.text ?? b.value.toFixed())}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<text x="0" y="16" class="title">${escapeHtml(title)}</text>`
    + `<line x1="${zero}" y1="24" x2="${zero}" y2="${height}" stroke="#888" stroke-width="1"/>`
    + rows.join('')
    + '</svg>';
}

/** Vertical bars of counts per bucket (a histogram), with the count above each bar. */
export function columnChart(title: string, buckets: readonly { label: string; count: number }[], opts: { width?: number } = {}): string {
  const width = opts.width ?? 720;
  const height = 230;
  const top = 30;
  const bottom = 40;
  const plotH = height - top - bottom;
  const colW = width / Math.max(1, buckets.length);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const cols = buckets.map((b, i) => {
    const h = (b.count / max) * plotH;
    const x = i * colW + 6;
    const y = top + plotH - h;
    return `<g><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(colW - 12).toFixed(1)}" height="${h.toFixed(1)}" fill="#2e86c1"><title>${escapeHtml(`${b.label}: ${b.count}`)}</title></rect>`
      + `<text x="${(x + (colW - 12) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" class="value">${b.count}</text>`
      + `<text x="${(x + (colW - 12) / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="label">${escapeHtml(b.label)}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<text x="0" y="16" class="title">${escapeHtml(title)}</text>`
    + `<line x1="0" y1="${top + plotH}" x2="${width}" y2="${top + plotH}" stroke="#888" stroke-width="1"/>`
    + cols.join('')
    + '</svg>';
}
