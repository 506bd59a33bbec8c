// The JSON message streams of pull, push, load and import shown as docker's jsonmessage shows
// them. On a terminal each layer id keeps one line, rewritten in place (cursor up, erase line,
// status and bar, cursor down); elsewhere progress updates are dropped and only status lines
// print. An error message ends the stream: it is thrown, and the verb exits 1 with its text.

import { goDuration } from './go-format.js';
import { humanSize } from '../../format.js';

export interface JsonMessage {
  status?: string;
  id?: string;
  from?: string;
  stream?: string;
  /** Pre-rendered progress (deprecated in docker, still shown when there is no progressDetail). */
  progress?: string;
  progressDetail?: ProgressDetail | null;
  error?: string;
  errorDetail?: { code?: number; message?: string } | null;
  aux?: unknown;
}

export interface ProgressDetail {
  current?: number;
  total?: number;
  /** Unix seconds the operation started, for the time left. */
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

/** Where messages are shown; `columns` is read at each bar, as docker asks the terminal each time. */
export interface Display {
  write(text: string): void;
  isTTY: boolean;
  columns(): number;
}

/** stdout as docker's streams.Out sees it; a size it cannot read counts as 200 columns. */
export function stdoutDisplay(): Display {
  const out = process.stdout;
  return { write: (text) => out.write(text), isTTY: out.isTTY === true, columns: () => out.columns ?? 200 };
}

const ESC = '\x1b[';
const cursorUp = (n: number) => (n > 0 ? `${ESC}${n}A` : '');
const cursorDown = (n: number) => (n > 0 ? `${ESC}${n}B` : '');
const ERASE_LINE = `${ESC}2K`;

/** jsonmessage's JSONProgress.String: `[=====>     ]  1.2MB/4.5MB 3s`, the bar only above 110 columns. */
export function progressBar(p: ProgressDetail, width: number, nowMs = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  const percentage = Math.min(50, Math.floor(Math.trunc((current / total) * 100) / 2));
  const bar = width > 110 ? `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ` : '';
  let numbers = '';
  if (p.hidecounts) numbers = '';
  else if (!p.units) numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  let timeLeft = '';
  if (width > 50 && current > 0 && (p.start ?? 0) > 0 && percentage < 50) {
    const elapsed = nowMs / 1000 - p.start!;
    timeLeft = ` ${goDuration(((total - current) * elapsed) / current)}`;
  }
  return bar + numbers + timeLeft;
}

function errorOf(m: JsonMessage): string | undefined {
  if (m.errorDetail) return m.errorDetail.message ?? m.error ?? '';
  return m.error || undefined;
}

/** One message as JSONMessage.Display writes it; undefined for a progress update off a terminal. */
function render(m: JsonMessage, out: Display): string | undefined {
  const detail = m.progressDetail ?? undefined;
  let text = '';
  let endl = '';
  if (out.isTTY && !m.stream && detail) {
    text += `${ERASE_LINE}\r`;
    endl = '\r';
  } else if (detail && progressBar(detail, out.columns()) !== '') {
    return undefined;
  }
  if (m.id) text += `${m.id}: `;
  if (m.from) text += `(from ${m.from}) `;
  const status = m.status ?? '';
  if (detail && out.isTTY) text += `${status} ${progressBar(detail, out.columns())}${endl}`;
  else if (m.progress) text += `${status} ${m.progress}${endl}`;
  else if (m.stream) text += `${m.stream}${endl}`;
  else text += `${status}${endl}\n`;
  return text;
}

/** The messages of a streamed answer, one JSON value a line (kapald ends each with \r\n). */
export async function* jsonMessages(body: AsyncIterable<Buffer | string>): AsyncGenerator<JsonMessage> {
  let pending = '';
  const parse = (line: string): JsonMessage => {
    try {
      return JSON.parse(line) as JsonMessage;
    } catch {
      throw new Error(`kapald sent a progress message that is not JSON: ${line}`);
    }
  };
  for await (const chunk of body) {
    pending += chunk.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  if (pending.trim()) yield parse(pending.trim());
}

/**
 * Shows the stream on `out` (nothing when undefined, as with -q, but errors still count) as
 * DisplayJSONMessagesStream does; `aux` messages go to `onAux` and are not shown.
 */
export async function displayJsonMessages(body: AsyncIterable<Buffer | string>, out: Display | undefined, onAux?: (aux: unknown) => void): Promise<void> {
  // Each layer id's line, counted from the first; lines are forgotten at any other message so
  // that a later operation's layers (pull -a, several tags) start below.
  const ids = new Map<string, number>();
  for await (const m of jsonMessages(body)) {
    if (m.aux !== undefined && m.aux !== null) {
      onAux?.(m.aux);
      continue;
    }
    const tty = out?.isTTY === true;
    let text = '';
    let diff = 0;
    if (m.id && (m.progressDetail || m.progress)) {
      let line = ids.get(m.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(m.id, line);
        if (tty) text += '\n';
      }
      diff = ids.size - line;
      if (tty) text += cursorUp(diff);
    } else {
      ids.clear();
    }
    const error = errorOf(m);
    if (error === undefined && out) text += render(m, out) ?? '';
    if (m.id && tty) text += cursorDown(diff);
    if (text && out) out.write(text);
    if (error !== undefined) throw new StreamError(error);
  }
}

/** The error message a stream ended with; printed as it is, as docker prints it. */
export class StreamError extends Error {
  override name = 'StreamError';
}
