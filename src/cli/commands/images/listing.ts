// How `docker images` and `docker history` print lists: every output is a format, the default
// table included (`table {{.Repository}}\t{{.Tag}}...`), and tables go through Go's tabwriter as
// docker's formatter configures it: cells at least 10 wide, 3 spaces of padding, the last cell of
// a line not padded. (The shared table() of format.ts has no minimum width, so TAG would be 9
// wide where docker prints 10.)

import { renderTemplate, TemplateError } from '../../format.js';
import { goJson } from './go-format.js';

const MIN_WIDTH = 10;
const PADDING = 3;

const width = (s: string) => [...s].length;

/** Go's text/tabwriter over `text`: columns are blocks of consecutive lines with a cell there. */
export function tabwrite(text: string): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];
  const emit = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < cells.length - 1 && j < widths.length ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c)).join(''));
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      emit(line0, i);
      line0 = i;
      let w = MIN_WIDTH;
      for (; i < line1 && column < lines[i]!.length - 1; i++) w = Math.max(w, width(lines[i]![column]!) + PADDING);
      widths.push(w);
      format(line0, i);
      widths.pop();
      line0 = i;
    }
    emit(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;

/** A template's header line: each action becomes the title of the field it prints. */
function headerLine(template: string, headers: Record<string, string>): string {
  const titled = template.replace(ACTION, (_, action: string) => {
    const m = /\.(\w+)\s*$/.exec(action) ?? /\.(\w+)/.exec(action);
    const name = m ? m[1]! : action;
    return `{{${JSON.stringify(headers[name] ?? name.toUpperCase())}}}`;
  });
  return renderTemplate(titled, {});
}

/** Templates fail as Go's do in docker: a plain error (exit 1), not a usage error. */
function render(template: string, value: unknown): string {
  try {
    return renderTemplate(template, value);
  } catch (err) {
    if (err instanceof TemplateError) throw new Error(`template parsing error: ${err.message}`);
    throw err;
  }
}

/**
 * Prints `items` in `format`, which the command has resolved: `json` (one object per line, keys
 * sorted as Go marshals a map), `table TEMPLATE` (a header, then the rows, through tabwriter), or
 * a template per item. `fields` are the values templates see; `headers` their column titles.
 */
export function printFormatted<T>(items: T[], format: string, fields: (item: T) => Record<string, unknown>, headers: Record<string, string>): void {
  if (format === 'json') {
    process.stdout.write(items.map((item) => `${goJson(fields(item))}\n`).join(''));
    return;
  }
  if (format.startsWith('table')) {
    const template = format.slice('table'.length).trim();
    const rows = items.map((item) => `${render(template, fields(item))}\n`).join('');
    process.stdout.write(tabwrite(`${headerLine(template, headers)}\n${rows}`));
    return;
  }
  const template = format.trim();
  process.stdout.write(items.map((item) => `${render(template, fields(item))}\n`).join(''));
}
