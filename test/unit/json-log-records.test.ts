// The json-file record reader's byte-level fast path against JSON.parse: the same payloads, streams
// and order for the lines the shim writes and for every shape it does not.

import t from 'tap';
import { RecordReader, fixedNanos, timeMs, type LogChunk, type RecordFilter } from '../../src/runtime/json-log-records.js';

const all: RecordFilter = { stdout: true, stderr: true, since: 0, until: 0, timestamps: false };

/** A string as the shim's jsonlog.c escapes it (moby's jsonlog): \n \r \" \\, <>& and controls as \u00XX, U+2028/9. */
function shimString(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&') out += `\\u00${c.toString(16).padStart(2, '0')}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return `"${out}"`;
}

const record = (log: string, stream = 'stdout', time = '2026-11-29T18:29:47.123456789Z') => `{"log":${shimString(log)},"stream":"${stream}","time":"${time}"}\n`;

/** What JSON.parse makes of the complete lines: runs of one stream, payloads joined. */
function reference(text: string, filter: RecordFilter = all): { stream: string; data: string }[] {
  const runs: { stream: string; data: string }[] = [];
  for (const line of text.split('\n').slice(0, -1)) {
    let r: any;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof r?.log !== 'string' || typeof r.time !== 'string' || (r.stream !== 'stdout' && r.stream !== 'stderr')) continue;
    if (!(r.stream === 'stdout' ? filter.stdout : filter.stderr)) continue;
    const ms = timeMs(r.time);
    if ((filter.since && ms < filter.since) || (filter.until && ms > filter.until)) continue;
    const data = (filter.timestamps ? `${fixedNanos(r.time)} ` : '') + r.log;
    if (runs.at(-1)?.stream === r.stream) runs.at(-1)!.data += data;
    else runs.push({ stream: r.stream, data });
  }
  return runs.filter((r) => r.data !== '');
}

/** The reader's output for `text` fed in pieces split at `cuts`, as runs of one stream. */
function read(text: string, filter: RecordFilter = all, cuts: number[] = [], chunkSize?: number): { stream: string; data: string }[] {
  const reader = new RecordReader(filter, undefined, chunkSize);
  const bytes = Buffer.from(text);
  let carry = Buffer.alloc(0);
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const buf = Buffer.concat([carry, bytes.subarray(from, to)]);
    const used = reader.feed(buf, 0, buf.length);
    carry = Buffer.from(buf.subarray(used));
    from = to;
  }
  reader.flush();
  const chunks: LogChunk[] = reader.take();
  const runs: { stream: string; data: string }[] = [];
  for (const c of chunks) {
    if (runs.at(-1)?.stream === c.stream) runs.at(-1)!.data += c.data.toString();
    else runs.push({ stream: c.stream, data: c.data.toString() });
  }
  return runs;
}

const tricky = [
  record('plain line\n'),
  record('no newline at the end'),
  record('to stderr\n', 'stderr'),
  record(''),
  record('\n'),
  record('quote " and backslash \\ inside\n'),
  record('a literal backslash-n: \\n\n'),
  record('ends with a backslash \\'),
  record('tab\tand\rcarriage\n'),
  record('html <b>&amp;</b>\n'),
  record('line\u2028separator and \u2029 paragraph\n'),
  record('raw UTF-8: é 日本語 😀\n'),
  record('"stream":"stderr" in the text: ","stream":"stdout","time":"x"}\n'),
  record('two\nlines in one record\n'),
  record('nul \u0000 and escape \u001b[31m\n'),
  record('no fraction in the time\n', 'stdout', '2026-11-29T18:29:47Z'),
  record('a short fraction\n', 'stderr', '2026-11-29T18:29:47.1Z'),
  // What other writers produce: JSON.stringify's escapes, docker's attrs, other key orders.
  `${JSON.stringify({ log: 'stringify \u2028 ☃\n', stream: 'stdout', time: '2026-11-29T18:29:48Z' })}\n`,
  `{"log":"with attrs\\n","stream":"stdout","attrs":{"a":"b"},"time":"2026-11-29T18:29:48.5Z"}\n`,
  `{"stream":"stderr","log":"stream first\\n","time":"2026-11-29T18:29:48.5Z"}\n`,
  `{"log":"a","x":"y","stream":"stdout","time":"2026-11-29T18:29:48.5Z"}\n`,
  `{"log":"\\u0041 escaped A\\n","stream":"stdout","time":"2026-11-29T18:29:48.5Z"}\n`,
  `{"log":"surrogates \\ud83d\\ude00\\n","stream":"stdout","time":"2026-11-29T18:29:48.5Z"}\n`,
  'not json at all\n',
  '{"log":"torn\n',
  `{"log":5,"stream":"stdout","time":"2026-11-29T18:29:48.5Z"}\n`,
  `{"log":"bad stream\\n","stream":"stdin","time":"2026-11-29T18:29:48.5Z"}\n`,
  record('the last complete one\n', 'stderr'),
];

t.test('every tricky line gives what JSON.parse gives', async (t) => {
  // Named by index: a raw U+2028 in a test name would break the TAP stream.
  tricky.forEach((line, i) => t.same(read(line), reference(line), `line ${i}: ${JSON.stringify(line.slice(0, 40)).replace(/[^\x20-\x7e]/g, '?')}`));
  const text = tricky.join('');
  t.same(read(text), reference(text), 'all of them in one buffer');
});

t.test('a torn last line waits for the rest; split reads give the same output', async (t) => {
  const text = tricky.join('');
  const reader = new RecordReader(all);
  const bytes = Buffer.from(text + record('half of this one').slice(0, 20));
  t.equal(reader.feed(bytes, 0, bytes.length), Buffer.byteLength(text), 'consumed up to the torn line');
  for (let step = 1; step < 64; step += 7) {
    const cuts = [];
    for (let at = step; at < Buffer.byteLength(text); at += step * 13) cuts.push(at);
    t.same(read(text, all, cuts), reference(text), `cut every ${step * 13} bytes`);
  }
});

t.test('runs of one stream become one chunk each, bounded by the chunk size', async (t) => {
  const text = [record('a\n'), record('b\n'), record('c\n', 'stderr'), record('d\n')].join('');
  t.same(read(text), [{ stream: 'stdout', data: 'a\nb\n' }, { stream: 'stderr', data: 'c\n' }, { stream: 'stdout', data: 'd\n' }]);
  const reader = new RecordReader(all, undefined, 100);
  const many = Buffer.from(record('0123456789\n').repeat(50));
  reader.feed(many, 0, many.length);
  reader.flush();
  const chunks = reader.take();
  t.ok(chunks.length > 3 && chunks.every((c) => c.data.length <= 111), `${chunks.length} chunks of at most one chunk size and one record`);
  t.equal(Buffer.concat(chunks.map((c) => c.data)).toString(), '0123456789\n'.repeat(50));
  const big = Buffer.from(record('x'.repeat(1000)));
  reader.feed(big, 0, big.length);
  reader.flush();
  t.equal(reader.take()[0]!.data.length, 1000, 'a record bigger than a chunk gets a chunk of its own');
});

t.test('stream, since and until filters and timestamps, on fast and slow lines alike', async (t) => {
  const text = [
    record('early\n', 'stdout', '2026-11-29T18:00:00.5Z'),
    record('err "quoted"\n', 'stderr', '2026-11-29T18:00:01.000000001Z'),
    record('middle\n', 'stdout', '2026-11-29T18:00:02.123456789Z'),
    record('late \u2028\n', 'stdout', '2026-11-29T18:00:03Z'),
  ].join('');
  const at = (s: string) => timeMs(s);
  const filters: RecordFilter[] = [
    { ...all, stderr: false },
    { ...all, stdout: false },
    { ...all, since: at('2026-11-29T18:00:01.000000001Z') },
    { ...all, until: at('2026-11-29T18:00:02.123456789Z') },
    { ...all, since: at('2026-11-29T18:00:01.5Z'), until: at('2026-11-29T18:00:02.5Z') },
    { ...all, timestamps: true },
  ];
  for (const f of filters) t.same(read(text, f), reference(text, f), JSON.stringify(f));
  t.equal(read(record('x\n', 'stdout', '2026-11-29T18:00:00.5Z'), { ...all, timestamps: true })[0]!.data, '2026-11-29T18:00:00.500000000Z x\n');
  t.ok(Math.abs(timeMs('2026-11-29T18:00:01.000250001Z') - Date.parse('2026-11-29T18:00:01Z') - 0.250001) < 0.001, 'the fraction below a millisecond kept (Date.parse drops it)');
});

t.test('a frame header fits before each chunk when asked for headroom', async (t) => {
  const allocated: number[] = [];
  const reader = new RecordReader(all, { headroom: 8, allocate: (n) => (allocated.push(n), Buffer.alloc(n, 0xee)) });
  const text = Buffer.from(record('hello\n') + record('world\n', 'stderr'));
  reader.feed(text, 0, text.length);
  reader.flush();
  const [a, b] = reader.take();
  t.equal(a!.framed.length, 8 + 6);
  t.equal(a!.framed.subarray(8).toString(), 'hello\n');
  t.equal(b!.data.toString(), 'world\n');
  t.ok(a!.framed.buffer === a!.data.buffer && a!.data.byteOffset === a!.framed.byteOffset + 8, 'data sits right after the headroom');
});
