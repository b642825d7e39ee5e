// Show Usage: a webview with a token's calls over 30 days, per endpoint, as bars (inline SVG) beside a table with
// the same numbers for screen readers, and its history from the audit trail. Themed with VS Code's CSS variables;
// a strict Content-Security-Policy (nothing but its own nonce'd style; no script, no remote content). Follows
// refreshes: when the token lists are refreshed, it fetches again.
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import type { Token } from '../../contract/types';
import { formatCount, historyLine, usageModel, type UsageModel } from '../../core/usageSummary';
import type { Connection } from '../services/connections';
import { USAGE_WINDOW_DAYS, type TokenActivityCache } from '../services/tokenActivity';

export const USAGE_VIEW_TYPE = 'tokenHub.usage';

/** What the view shows now (for the extension-host tests, through the test API only). */
export interface RenderedUsage {
  tokenId: string;
  model: UsageModel;
  html: string;
}

export class UsagePanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; connection: Connection; token: Token; rendered?: RenderedUsage }>();
  private readonly subscription: vscode.Disposable;
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedUsage>();
  /** After a view was drawn with fresh numbers. */
  readonly onDidRender = this.renderedEmitter.event;

  constructor(private readonly activity: TokenActivityCache) {
    this.subscription = activity.onDidChange(() => {
      for (const key of this.panels.keys()) void this.update(key);
    });
  }

  /** Opens (or brings forward) the token's view and draws it. */
  async show(connection: Connection, token: Token): Promise<RenderedUsage | undefined> {
    const key = `${connection.id}/${token.id}`;
    const open = this.panels.get(key);
    if (open) {
      open.token = token;
      open.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(
        USAGE_VIEW_TYPE,
        vscode.l10n.t('Usage of {0}', token.name),
        vscode.ViewColumn.Active,
        { enableScripts: false, localResourceRoots: [] },
      );
      panel.onDidDispose(() => this.panels.delete(key));
      this.panels.set(key, { panel, connection, token });
    }
    return this.update(key);
  }

  /** What an open view of the token shows, if one is open. */
  rendered(tokenId: string): RenderedUsage | undefined {
    for (const entry of this.panels.values()) if (entry.token.id === tokenId) return entry.rendered;
    return undefined;
  }

  private async update(key: string): Promise<RenderedUsage | undefined> {
    const entry = this.panels.get(key);
    if (!entry) return undefined;
    let html: string;
    let rendered: RenderedUsage | undefined;
    try {
      const { usage, history } = await this.activity.get(entry.connection, entry.token.id);
      const model = usageModel(usage, entry.token.endpoints);
      html = usageHtml(entry.token.name, model, historyLine(history));
      rendered = { tokenId: entry.token.id, model, html };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      html = messageHtml(vscode.l10n.t('The usage of "{0}" could not be loaded: {1} Refresh the Token Hub view to try again.', entry.token.name, reason));
    }
    if (!this.panels.has(key)) return undefined; // closed while fetching
    entry.panel.webview.html = html;
    entry.rendered = rendered;
    if (rendered) this.renderedEmitter.fire(rendered);
    return rendered;
  }

  dispose(): void {
    this.subscription.dispose();
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
    this.renderedEmitter.dispose();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CHART = { barWidth: 10, gap: 2, height: 64 };

/** One endpoint's days as bars: accepted below, refused stacked on top, each with a title for the mouse. */
function chartSvg(series: UsageModel['endpoints'][number], peak: number): string {
  const width = series.days.length * (CHART.barWidth + CHART.gap);
  const scale = peak > 0 ? CHART.height / peak : 0;
  const bars = series.days
    .map((day, i) => {
      const x = i * (CHART.barWidth + CHART.gap);
      const accepted = Math.round(day.accepted * scale);
      const refused = Math.round(day.refused * scale);
      const title = `<title>${escapeHtml(`${day.date}: ${formatCount(day.accepted)} accepted, ${formatCount(day.refused)} refused`)}</title>`;
      return (
        `<g>${title}<rect class="slot" x="${x}" y="0" width="${CHART.barWidth}" height="${CHART.height}"/>` +
        `<rect class="accepted" x="${x}" y="${CHART.height - accepted}" width="${CHART.barWidth}" height="${accepted}"/>` +
        `<rect class="refused" x="${x}" y="${CHART.height - accepted - refused}" width="${CHART.barWidth}" height="${refused}"/></g>`
      );
    })
    .join('');
  // The table beside it carries the numbers for screen readers: the picture is decoration to them.
  return `<svg class="chart" aria-hidden="true" focusable="false" width="${width}" height="${CHART.height}" viewBox="0 0 ${width} ${CHART.height}">${bars}</svg>`;
}

function seriesTable(series: UsageModel['endpoints'][number]): string {
  const rows = series.days
    .map((day) => `<tr><th scope="row">${day.date}</th><td>${formatCount(day.accepted)}</td><td>${formatCount(day.refused)}</td></tr>`)
    .join('');
  return (
    `<table data-endpoint="${escapeHtml(series.endpointId)}"><caption>${escapeHtml(
      vscode.l10n.t('Calls to {0} per UTC day: {1} accepted, {2} refused', series.endpointId, formatCount(series.accepted), formatCount(series.refused)),
    )}</caption>` +
    `<thead><tr><th scope="col">${vscode.l10n.t('Day (UTC)')}</th><th scope="col">${vscode.l10n.t('Accepted')}</th><th scope="col">${vscode.l10n.t('Refused')}</th></tr></thead>` +
    `<tbody>${rows}</tbody></table>`
  );
}

/** The Content-Security-Policy: nothing may load or run but the page's own nonce'd style. */
function page(title: string, body: string): string {
  const nonce = randomBytes(16).toString('base64');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 20px 20px; }
h1 { font-size: 1.4em; font-weight: 600; margin: 16px 0 4px; }
p.summary, p.history { margin: 4px 0; color: var(--vscode-descriptionForeground); }
section { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; margin-top: 20px; padding-top: 12px; border-top: 1px solid var(--vscode-panel-border, transparent); }
h2 { flex-basis: 100%; font-size: 1.1em; margin: 0; }
.chart .slot { fill: var(--vscode-editorWidget-background, transparent); }
.chart .accepted { fill: var(--vscode-charts-blue); }
.chart .refused { fill: var(--vscode-charts-red); }
.legend span { margin-right: 16px; }
.legend .swatch-accepted, .legend .swatch-refused { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
.legend .swatch-accepted { background: var(--vscode-charts-blue); }
.legend .swatch-refused { background: var(--vscode-charts-red); }
table { border-collapse: collapse; margin-top: 6px; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { padding: 1px 10px; text-align: right; border-bottom: 1px solid var(--vscode-editorWidget-border, transparent); }
th[scope="row"] { text-align: left; font-weight: normal; font-variant-numeric: tabular-nums; }
td { font-variant-numeric: tabular-nums; }
</style></head><body>${body}</body></html>`;
}

export function usageHtml(name: string, model: UsageModel, history: string): string {
  const title = vscode.l10n.t('Usage of {0}', name);
  const sections = model.endpoints
    .map(
      (series) =>
        `<section aria-labelledby="ep-${escapeHtml(series.endpointId)}"><h2 id="ep-${escapeHtml(series.endpointId)}">${escapeHtml(series.endpointId)}</h2>` +
        `<div>${chartSvg(series, model.peak)}<p class="legend"><span><span class="swatch-accepted"></span>${vscode.l10n.t('accepted')}</span>` +
        `<span><span class="swatch-refused"></span>${vscode.l10n.t('refused (not in the token\'s scope)')}</span></p></div>` +
        `${seriesTable(series)}</section>`,
    )
    .join('');
  const body =
    `<h1>${escapeHtml(title)}</h1><p class="summary">${escapeHtml(model.summary)} · ${vscode.l10n.t('last {0} days, UTC', USAGE_WINDOW_DAYS)}</p>` +
    (history ? `<p class="history">${escapeHtml(history)}</p>` : '') +
    sections;
  return page(title, body);
}

function messageHtml(text: string): string {
  return page(vscode.l10n.t('Token usage'), `<p>${escapeHtml(text)}</p>`);
}
