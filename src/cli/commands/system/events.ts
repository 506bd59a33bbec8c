// kapal events (and kapal system events): GET /events streamed and printed as docker prints it,
// one line per event: `TIME TYPE ACTION ID (attributes)`, or --format json / a Go template. It
// runs until interrupted, or ends when the daemon closes the stream at --until.

import type { Command } from '../../command.js';
import { str } from '../../flags.js';
import { renderTemplate, TemplateError } from '../../format.js';
import { filtersParam, readFilters } from '../../filters.js';
import { goMap } from './template-values.js';
import { apiTimestamp, rfc3339NanoFixed } from './timestamps.js';

interface Message {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: number;
}

/** One event as docker's template sees it: Go's field names, TimeNano exact (JSON numbers are not). */
function goFields(m: Message, timeNano: string): Record<string, unknown> {
  return {
    Status: m.status ?? '',
    ID: m.id ?? '',
    From: m.from ?? '',
    Type: m.Type,
    Action: m.Action,
    Actor: { ID: m.Actor.ID, Attributes: goMap(m.Actor.Attributes ?? {}) },
    Scope: m.scope ?? '',
    Time: m.time ?? 0,
    TimeNano: timeNano,
  };
}

const sortedAttributes = (m: Message) => Object.entries(m.Actor.Attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** `{{json .}}` of docker's events.Message: empty legacy fields left out, attributes sorted. */
function jsonLine(m: Message, timeNano: string): string {
  const out = {
    ...(m.status ? { status: m.status } : {}),
    ...(m.id ? { id: m.id } : {}),
    ...(m.from ? { from: m.from } : {}),
    Type: m.Type,
    Action: m.Action,
    Actor: { ID: m.Actor.ID, Attributes: Object.fromEntries(sortedAttributes(m)) },
    scope: m.scope ?? '',
    time: m.time ?? 0,
    timeNano: 0,
  };
  return JSON.stringify(out).replace(/"timeNano":0}$/, `"timeNano":${timeNano}}`);
}

function prettyLine(m: Message, timeNano: string): string {
  const nanos = BigInt(timeNano);
  const time = nanos !== 0n ? `${rfc3339NanoFixed(nanos)} ` : m.time ? `${rfc3339NanoFixed(BigInt(m.time) * 1_000_000_000n)} ` : '';
  const attributes = sortedAttributes(m).map(([k, v]) => `${k}=${v}`);
  return `${time}${m.Type} ${m.Action} ${m.Actor.ID}${attributes.length > 0 ? ` (${attributes.join(', ')})` : ''}`;
}

type Printer = (m: Message, timeNano: string) => string;

/** The printer for --format, or the error of a template that fails on an empty event (docker tries it first). */
function printerFor(format: string | undefined): Printer | string {
  if (!format) return prettyLine;
  if (format === 'json' || /^\{\{\s*json\s+\.\s*\}\}$/.test(format)) return jsonLine;
  try {
    renderTemplate(format, goFields({ Type: '', Action: '', Actor: { ID: '' } }, '0'));
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
  return (m, timeNano) => renderTemplate(format, goFields(m, timeNano));
}

const events: Command = {
  usage: '[OPTIONS]',
  flags: {
    filter: { short: 'f', arg: 'filter', multi: true, help: 'Filter output based on conditions provided' },
    format: { arg: 'string', help: "Format output using a custom template: 'json' or a Go template" },
    since: { arg: 'string', help: 'Show all events created since timestamp' },
    until: { arg: 'string', help: 'Stream events until this timestamp' },
  },
  maxArgs: 0,
  async run(ctx, flags) {
    const printer = printerFor(str(flags, 'format'));
    if (typeof printer === 'string') {
      process.stderr.write(`Error parsing format: ${printer}\n`);
      return 64;
    }
    const query = new URLSearchParams();
    const now = Date.now();
    for (const name of ['since', 'until']) {
      const value = str(flags, name);
      if (value) query.set(name, apiTimestamp(value, now));
    }
    const filters = filtersParam(readFilters(flags));
    if (filters) query.set('filters', filters);
    const res = await ctx.api.stream('GET', `/events${query.size > 0 ? `?${query}` : ''}`);
    // Decoded as a stream, so a character split across chunks stays whole.
    res.setEncoding('utf8');
    let pending = '';
    for await (const chunk of res) {
      pending += chunk as string;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line === '') continue;
        // timeNano overflows a JS number; take its digits from the text.
        const timeNano = /"timeNano":\s*(\d+)/.exec(line)?.[1] ?? '0';
        process.stdout.write(`${printer(JSON.parse(line) as Message, timeNano)}\n`);
      }
    }
    return 0;
  },
};

export default events;
