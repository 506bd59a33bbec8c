// Times as docker's events command reads and prints them: --since/--until as a Go duration before
// now ("10m"), an RFC 3339 date or time (local without a zone), or unix seconds (moby's
// GetTimestamp); event times in RFC 3339 with nanoseconds always nine digits wide.

const NANOS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?([zZ]|[+-]\d{2}:\d{2})?$/;

/** A Go duration ("1h30m", "90s", "-5m") in nanoseconds; undefined if it is not one. */
function parseDuration(value: string): number | undefined {
  const m = DURATION.exec(value);
  if (!m) return undefined;
  let nanos = 0;
  for (const [, amount, unit] of m[2]!.matchAll(DURATION_PART)) nanos += Number(amount) * NANOS[unit!]!;
  return m[1] === '-' ? -nanos : nanos;
}

/**
 * The value of --since or --until as the API takes it: unix seconds, or seconds.nanoseconds.
 * Throws with docker's words when it is none of the accepted forms.
 */
export function apiTimestamp(value: string, now = Date.now()): string {
  const duration = value === '0' ? undefined : parseDuration(value);
  if (duration !== undefined) return String(Math.floor((now - duration / 1e6) / 1000));
  const m = DATE_TIME.exec(value);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m;
    const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
    let ms: number;
    if (zone === undefined) {
      ms = new Date(...fields).getTime();
    } else {
      const offsetMinutes = /^[zZ]$/.test(zone) ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
      ms = Date.UTC(...fields) - offsetMinutes * 60_000;
    }
    if (Number.isNaN(ms)) throw new Error(`parsing time "${value}": out of range`);
    return `${Math.floor(ms / 1000)}.${fraction.padEnd(9, '0')}`;
  }
  if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse as RFC 3339`);
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return value;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Go's "2006-01-02T15:04:05.000000000Z07:00" in the local time zone, from unix nanoseconds. */
export function rfc3339NanoFixed(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const fraction = String(nanos % 1_000_000_000n).padStart(9, '0');
  const offset = -new Date(Number(seconds) * 1000).getTimezoneOffset();
  const d = new Date((Number(seconds) + offset * 60) * 1000);
  const date = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${date}T${time}.${fraction}${zone}`;
}
