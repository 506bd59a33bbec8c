// Values printed the way Go's libraries print them, where the image verbs show what docker's
// would: time.Time's String and RFC 3339 forms in local time, Duration's String, os errors'
// wording. (Sizes: format.ts's humanSize.)

const pad2 = (n: number) => String(n).padStart(2, '0');

function localParts(seconds: number): { date: string; time: string; offsetMinutes: number } {
  const d = new Date(seconds * 1000);
  return {
    date: `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`,
    time: `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`,
    offsetMinutes: -d.getTimezoneOffset(),
  };
}

function offsetText(minutes: number, separator: string): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${separator}${pad2(abs % 60)}`;
}

/** time.Unix(s, 0).String(): `2024-01-01 00:00:00 +0000 UTC`, in local time. */
export function goTimeString(seconds: number): string {
  const { date, time, offsetMinutes } = localParts(seconds);
  // Go prints the zone's abbreviation; Intl's short name is the nearest we have outside UTC.
  const zone = offsetMinutes === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(new Date(seconds * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? '');
  return `${date} ${time} ${offsetText(offsetMinutes, '')} ${zone}`;
}

/** time.Unix(s, 0).Format(time.RFC3339): `2024-01-01T00:00:00Z`, in local time. */
export function rfc3339(seconds: number): string {
  const { date, time, offsetMinutes } = localParts(seconds);
  return `${date}T${time}${offsetMinutes === 0 ? 'Z' : offsetText(offsetMinutes, ':')}`;
}

/** time.Duration's String for whole seconds: `0s`, `45s`, `1m5s`, `2h0m3s`. */
export function goDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${m}m${s % 60}s`;
  if (m > 0) return `${m}m${s % 60}s`;
  return `${s}s`;
}

/** `{{json .}}` as Go's encoding/json writes it: keys sorted, <, > and & escaped. */
export function goJson(fields: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.keys(fields).sort().map((k) => [k, fields[k]]));
  return JSON.stringify(sorted).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An fs error in Go's words (`open /x: no such file or directory`) rather than node's. */
export function goFileError(err: unknown, op: string, file: string): Error {
  const e = err as NodeJS.ErrnoException;
  // node: "ENOENT: no such file or directory, open '/x'"; the part after the code is strerror.
  const reason = /^[A-Z]+: (.*?), \w+ '/.exec(e.message)?.[1] ?? e.message;
  return new Error(`${op} ${file}: ${reason}`);
}
