// How the CLI prints lists and values as docker does: tables padded like Go's tabwriter (columns
// three spaces apart), `--format` as `json`, `table TEMPLATE` or a Go-like `{{.Field}}` template,
// go-units sizes, and relative times ("Up 5 seconds", "2 hours ago").

import { humanDuration } from '../domain/human-duration.js';

/** A --format template that cannot be executed; the command fails with status 1, as docker's. */
export class TemplateError extends Error {}

/**
 * Rows under a header as the docker CLI's tabwriter lays them out (minimum width 10, padding 3):
 * every column but the last as wide as its widest cell plus three spaces, and at least ten.
 */
export function table(header: string[], rows: string[][], minWidth = 10): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(minWidth, 3 + Math.max(...all.map((r) => [...(r[i] ?? '')].length))));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! - ([...cell].length - cell.length)))).join('').trimEnd()).join('\n') + '\n';
}

// ---- templates --------------------------------------------------------------------------------

/** `.A.B` of `value`; a missing field is an error as in Go templates ("can't evaluate field"). */
function field(value: unknown, pathText: string): unknown {
  if (pathText === '.') return value;
  let v = value;
  for (const key of pathText.slice(1).split('.')) {
    if (v === null || typeof v !== 'object' || !(key in (v as object))) {
      throw new TemplateError(`template: :1:2: executing "" at <${pathText}>: can't evaluate field ${key} in type *formatter.Context`);
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A value as Go's text/template prints it: maps as map[k:v], lists as [a b], nil as <no value>. */
function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${k}:${goString(x)}`).join(' ')}]`;
  return String(v);
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;

/**
 * A Go template, the subset scripts use: `{{.Field}}`, `{{.A.B}}`, `{{json .X}}`, `{{join .L ","}}`,
 * `{{upper .X}}`, `{{lower .X}}`, `{{index .M "key"}}`, `{{println .X}}`; `\t` and `\n` escapes.
 */
export function renderTemplate(template: string, value: unknown): string {
  const text = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text.replace(ACTION, (_, action: string) => {
    const words = action.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    const arg = (w: string | undefined): unknown => {
      if (w === undefined) throw new TemplateError(`template: :1: missing argument in {{${action}}}`);
      if (w.startsWith('"')) return JSON.parse(w) as string;
      if (w.startsWith('.')) return field(value, w);
      throw new TemplateError(`template: :1: function "${w}" not defined`);
    };
    const [head, ...rest] = words;
    switch (head) {
      case 'json':
        return JSON.stringify(arg(rest[0]) ?? null);
      case 'join':
        return ((arg(rest[0]) as unknown[] | null) ?? []).map(goString).join(String(arg(rest[1])));
      case 'upper':
        return goString(arg(rest[0])).toUpperCase();
      case 'lower':
        return goString(arg(rest[0])).toLowerCase();
      case 'println':
        return `${rest.map((w) => goString(arg(w))).join(' ')}\n`;
      case 'index': {
        const container = arg(rest[0]) as Record<string, unknown> | unknown[] | null;
        const key = arg(rest[1]);
        return goString(container == null ? undefined : (container as Record<string, unknown>)[String(key)]);
      }
      default:
        return goString(arg(head));
    }
  });
}

export type Format = { kind: 'table' } | { kind: 'json' } | { kind: 'template'; template: string; header: boolean };

/** A `--format` value: absent or `table` is the command's own table. */
export function parseFormat(format: string | undefined): Format {
  if (format === undefined || format === '' || format === 'table') return { kind: 'table' };
  if (format === 'json') return { kind: 'json' };
  if (format.startsWith('table ')) return { kind: 'template', template: format.slice(6), header: true };
  return { kind: 'template', template: format, header: false };
}

/**
 * Prints `items` as `format` asks: the command's table (`columns`: header and cell per item), one
 * JSON object per line, or a template per item (with `table`, under the columns' headers).
 */
export function printList<T>(
  items: T[],
  format: Format,
  columns: [string, (item: T) => string][],
  fields: (item: T) => Record<string, unknown>,
  /** Column titles of template fields where they differ from the field's name (ID: CONTAINER ID). */
  headers: Record<string, string> = {},
): void {
  if (format.kind === 'json') {
    for (const item of items) process.stdout.write(`${JSON.stringify(fields(item))}\n`);
    return;
  }
  if (format.kind === 'table') {
    process.stdout.write(table(columns.map(([h]) => h), items.map((item) => columns.map(([, cell]) => cell(item)))));
    return;
  }
  const lines = items.map((item) => renderTemplate(format.template, fields(item)));
  if (!format.header) {
    for (const line of lines) process.stdout.write(`${line}\n`);
    return;
  }
  // `table {{.ID}}\t{{.Names}}`: the header names the fields, columns aligned on the tabs.
  const header = renderTemplate(format.template.replace(ACTION, (_, a: string) => `{{${JSON.stringify(headerOf(a, headers))}}}`), {});
  process.stdout.write(table(header.split('\t'), lines.map((l) => l.split('\t'))));
}

/** The column title of a template field: the command's own, else the name in upper case (RunningFor: RUNNING FOR). */
function headerOf(action: string, headers: Record<string, string>): string {
  const m = /\.(\w+)\s*$/.exec(action);
  const name = m ? m[1]! : action;
  return headers[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

// ---- sizes and times ---------------------------------------------------------------------------

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * go-units' HumanSizeWithPrecision: `precision` significant digits and a decimal unit. HumanSize
 * (reclaimed space, disk usage) is 4 digits, 4.262MB; docker's tables (images, ps -s, stats) use 3.
 */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(precision))}${DECIMAL_UNITS[unit]}`;
}

/** "2 hours ago" from a time in seconds since the epoch (or an ISO string). */
export function ago(time: number | string, now = Date.now()): string {
  const ms = typeof time === 'number' ? time * 1000 : Date.parse(time);
  return `${humanDuration(Math.max(0, now - ms))} ago`;
}

/** The 12-character short ID docker prints, without a `sha256:` prefix. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** docker's truncation of a long cell: the first n-1 characters and an ellipsis. */
export function ellipsis(text: string, n: number): string {
  return [...text].length > n ? `${[...text].slice(0, n - 1).join('')}…` : text;
}
