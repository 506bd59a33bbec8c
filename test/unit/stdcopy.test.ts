import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable, pipeline } from 'node:stream';
import {
  StdStream,
  StdcopyDemuxer,
  StdcopyMuxer,
  demuxTo,
  encodeFrame,
  type StdFrame,
  type StdStreamId,
} from '../../src/api/streams/stdcopy.js';

// The shape of a tap test that the helpers need; tap's own Test type is a deep generic.
interface Teardown {
  teardown(fn: () => unknown): void;
}

interface Received {
  frames: StdFrame[];
  error: Error | undefined;
  chunks: number;
}

const dir = await mkdtemp(path.join(tmpdir(), 'kapal-stdcopy-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
let sockets = 0;

/** A Unix socket server that runs `send` on each connection (like the daemon side) and then ends it. */
async function serve(test: Teardown, send: (socket: net.Socket) => unknown): Promise<string> {
  const socketPath = path.join(dir, `${++sockets}.sock`);
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {}); // the client may hang up first; that is not what these tests check
    void Promise.resolve(send(socket)).finally(() => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  test.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return socketPath;
}

/** The client side (like the CLI): socket bytes through a demuxer, collected until end or error. */
async function receive(socketPath: string): Promise<Received> {
  const socket = net.connect(socketPath);
  let chunks = 0;
  socket.on('data', () => chunks++);
  const demuxer = new StdcopyDemuxer();
  pipeline(socket, demuxer, () => {});
  const frames: StdFrame[] = [];
  try {
    for await (const frame of demuxer as AsyncIterable<StdFrame>) frames.push(frame);
  } catch (err) {
    return { frames, error: err as Error, chunks };
  }
  return { frames, error: undefined, chunks };
}

async function receiveRaw(socketPath: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of net.connect(socketPath) as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

/** Feeds a demuxer directly, one write per given piece. */
async function decodePieces(pieces: Buffer[]): Promise<Omit<Received, 'chunks'>> {
  const demuxer = new StdcopyDemuxer();
  pipeline(Readable.from(pieces), demuxer, () => {});
  const frames: StdFrame[] = [];
  try {
    for await (const frame of demuxer as AsyncIterable<StdFrame>) frames.push(frame);
  } catch (err) {
    return { frames, error: err as Error };
  }
  return { frames, error: undefined };
}

const readable = (frames: StdFrame[]): Array<[StdStreamId, string]> =>
  frames.map((f) => [f.stream, f.payload.toString('utf8')]);

// Seeded, so a failing split pattern can be replayed.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function writeAndWait(socket: net.Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve())));
}

const HI_ON_STDOUT = Buffer.from('01 00 00 00 00 00 00 03 68 69 0a'.replaceAll(' ', ''), 'hex');

t.test('a stdout frame for "hi\\n" is byte for byte what docker sends', async (t) => {
  t.same(encodeFrame(StdStream.stdout, Buffer.from('hi\n')), HI_ON_STDOUT);
  const socketPath = await serve(t, (socket) => new StdcopyMuxer(socket).write(StdStream.stdout, Buffer.from('hi\n')));
  t.same(await receiveRaw(socketPath), HI_ON_STDOUT, 'the same bytes arrive on the socket');
});

t.test('the type byte and a multi-byte big-endian length are laid out as docker expects', async (t) => {
  const frame = encodeFrame(StdStream.stderr, Buffer.alloc(0x01_02_03, 0x61));
  t.same(frame.subarray(0, 8), Buffer.from('0200000000010203', 'hex'));
  t.same(encodeFrame(StdStream.systemerr, Buffer.from('x')).subarray(0, 8), Buffer.from('0300000000000001', 'hex'));
  t.same(encodeFrame(StdStream.stdin, Buffer.alloc(0)), Buffer.from('0000000000000000', 'hex'), 'empty payload, header-only frame');
  t.throws(() => encodeFrame(4 as StdStreamId, Buffer.from('x')), RangeError, 'no stream 4');
});

t.test('frames written by the muxer decode to the same streams and payloads across a unix socket', async (t) => {
  const sent: Array<[StdStreamId, string]> = [
    [StdStream.stdout, 'hello\n'],
    [StdStream.stderr, 'warning: ünïcödé ✓\n'],
    [StdStream.stdin, 'echoed input'],
    [StdStream.stdout, 'no newline'],
    [StdStream.stderr, '\u0000\u0001\u0002 binary-ish'],
  ];
  const socketPath = await serve(t, (socket) => {
    const muxer = new StdcopyMuxer(socket);
    for (const [stream, text] of sent) muxer.write(stream, Buffer.from(text));
  });
  const { frames, error } = await receive(socketPath);
  t.equal(error, undefined);
  t.same(readable(frames), sent);
});

t.test('a 1 MiB payload crosses the socket as one intact frame', async (t) => {
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >>> 8)) & 0xff;
  const socketPath = await serve(t, (socket) => {
    const muxer = new StdcopyMuxer(socket);
    muxer.write(StdStream.stderr, big);
    muxer.write(StdStream.stdout, Buffer.from('after'));
  });
  const { frames, error, chunks } = await receive(socketPath);
  t.equal(error, undefined);
  t.equal(frames.length, 2);
  t.equal(frames[0]?.stream, StdStream.stderr);
  t.ok(frames[0]?.payload.equals(big), 'payload bytes are identical');
  t.same(readable(frames.slice(1)), [[StdStream.stdout, 'after']]);
  t.ok(chunks > 1, `the payload arrived in ${chunks} socket reads, so reassembly was exercised`);
});

t.test('a thousand tiny frames keep their order and their streams', async (t) => {
  const sent: Array<[StdStreamId, string]> = [];
  for (let i = 0; i < 1000; i++) sent.push([i % 3 === 0 ? StdStream.stderr : StdStream.stdout, String(i)]);
  const socketPath = await serve(t, (socket) => {
    const muxer = new StdcopyMuxer(socket);
    for (const [stream, text] of sent) muxer.write(stream, Buffer.from(text));
  });
  const { frames, error } = await receive(socketPath);
  t.equal(error, undefined);
  t.same(readable(frames), sent);
});

t.test('encoded bytes written in random-sized pieces decode to the same frames', async (t) => {
  const seed = 0x6b6170;
  const random = mulberry32(seed);
  const sent: Array<[StdStreamId, string]> = [];
  for (let i = 0; i < 200; i++) {
    const stream = random() < 0.5 ? StdStream.stdout : StdStream.stderr;
    sent.push([stream, `line ${i} `.repeat(Math.floor(random() * 6))]); // includes empty payloads
  }
  const wire = Buffer.concat(sent.map(([stream, text]) => encodeFrame(stream, Buffer.from(text))));
  const socketPath = await serve(t, async (socket) => {
    for (let at = 0; at < wire.length; ) {
      const size = 1 + Math.floor(random() * 13); // often smaller than a header
      await writeAndWait(socket, wire.subarray(at, at + size));
      await new Promise((resolve) => setImmediate(resolve)); // give the reader a chance to see each piece alone
      at += size;
    }
  });
  const { frames, error, chunks } = await receive(socketPath);
  t.equal(error, undefined);
  t.same(readable(frames), sent, `seed ${seed}`);
  t.ok(chunks > sent.length, `the reader saw ${chunks} pieces for ${sent.length} frames`);
});

t.test('every split point of a stream, including inside headers, decodes the same', async (t) => {
  const sent: Array<[StdStreamId, string]> = [
    [StdStream.stdout, 'abc'],
    [StdStream.stderr, ''],
    [StdStream.stderr, 'defgh'],
    [StdStream.stdout, 'i'],
  ];
  const wire = Buffer.concat(sent.map(([stream, text]) => encodeFrame(stream, Buffer.from(text))));
  for (let cut = 0; cut <= wire.length; cut++) {
    const { frames, error } = await decodePieces([wire.subarray(0, cut), wire.subarray(cut)]);
    if (error !== undefined || JSON.stringify(readable(frames)) !== JSON.stringify(sent)) {
      t.fail(`split at byte ${cut}`, { frames: readable(frames), error });
    }
  }
  const oneByteAtATime = await decodePieces([...wire].map((byte) => Buffer.from([byte])));
  t.same(readable(oneByteAtATime.frames), sent, 'one byte per write');
  t.equal(oneByteAtATime.error, undefined);
});

t.test('a payload lying wholly inside one chunk is a view of that chunk, not a copy', async (t) => {
  const chunk = Buffer.concat([encodeFrame(StdStream.stdout, Buffer.from('one')), encodeFrame(StdStream.stderr, Buffer.from('two'))]);
  const { frames } = await decodePieces([chunk]);
  t.same(readable(frames), [[StdStream.stdout, 'one'], [StdStream.stderr, 'two']]);
  for (const frame of frames) t.equal(frame.payload.buffer, chunk.buffer, 'shares the chunk memory');
  t.equal(frames[1]?.payload.byteOffset, chunk.byteOffset + 19);
});

t.test('a zero-length muxer write puts nothing on the wire', async (t) => {
  const socketPath = await serve(t, (socket) => {
    const muxer = new StdcopyMuxer(socket);
    t.equal(muxer.write(StdStream.stdout, Buffer.alloc(0)), true);
    muxer.write(StdStream.stdout, Buffer.from('hi\n'));
    muxer.write(StdStream.stderr, Buffer.alloc(0));
  });
  t.same(await receiveRaw(socketPath), HI_ON_STDOUT);
});

t.test('payloads over the frame limit become several frames of the same stream', async (t) => {
  t.same(
    encodeFrame(StdStream.stderr, Buffer.from('abcdefghij'), 4),
    Buffer.from('0200000000000004616263640200000000000004656667680200000000000002696a', 'hex'),
  );
  let writes = 0;
  const socketPath = await serve(t, (socket) => {
    const realWrite = socket.write.bind(socket) as (chunk: Buffer) => boolean;
    socket.write = ((chunk: Buffer) => (writes++, realWrite(chunk))) as typeof socket.write;
    new StdcopyMuxer(socket, { maxFramePayload: 4 }).write(StdStream.stdout, Buffer.from('abcdefghij'));
  });
  const { frames, error } = await receive(socketPath);
  t.equal(error, undefined);
  t.same(readable(frames), [[StdStream.stdout, 'abcd'], [StdStream.stdout, 'efgh'], [StdStream.stdout, 'ij']]);
  t.equal(writes, 3, 'one socket write per frame');
  t.throws(() => encodeFrame(StdStream.stdout, Buffer.from('x'), 0x1_0000_0000), RangeError, 'limit above uint32');
});

t.test('the muxer passes on the socket backpressure verdict', async (t) => {
  let reportVerdicts: (verdicts: boolean[]) => void = () => {};
  const written = new Promise<boolean[]>((resolve) => (reportVerdicts = resolve));
  let drained = false;
  const socketPath = await serve(t, async (socket) => {
    const muxer = new StdcopyMuxer(socket);
    reportVerdicts([
      muxer.write(StdStream.stdout, Buffer.from('small')),
      muxer.write(StdStream.stdout, Buffer.alloc(8 * 1024 * 1024)),
      muxer.write(StdStream.stdout, Buffer.alloc(0)),
    ]);
    await new Promise((resolve) => socket.once('drain', resolve));
    drained = true;
  });
  const client = net.connect(socketPath);
  client.pause(); // not reading yet, so the kernel buffers fill
  const verdicts = await written;
  t.same(verdicts, [true, false, false], 'false while the socket is over its high-water mark, even for an empty write');
  client.resume();
  await new Promise((resolve) => client.on('end', resolve));
  t.ok(drained, "the socket emitted 'drain' once the reader caught up");
});

t.test('a systemerr frame fails with docker\'s wording, after the frames before it', async (t) => {
  const socketPath = await serve(t, (socket) => {
    // One write, so the good frame and the error frame reach the demuxer in the same chunk.
    socket.write(
      Buffer.concat([
        encodeFrame(StdStream.stdout, Buffer.from('last log line\n')),
        encodeFrame(StdStream.systemerr, Buffer.from('Error grabbing logs: boom')),
        encodeFrame(StdStream.stdout, Buffer.from('never seen')),
      ]),
    );
  });
  const { frames, error } = await receive(socketPath);
  t.same(readable(frames), [[StdStream.stdout, 'last log line\n']]);
  t.equal(error?.message, 'error from daemon in stream: Error grabbing logs: boom');
});

t.test('a slow reader still gets every frame buffered before an error', async (t) => {
  const pieces = [
    Buffer.concat([
      ...Array.from({ length: 100 }, (_, i) => encodeFrame(StdStream.stdout, Buffer.from(String(i)))),
      encodeFrame(StdStream.systemerr, Buffer.from('late failure')),
    ]),
  ];
  const demuxer = new StdcopyDemuxer();
  pipeline(Readable.from(pieces), demuxer, () => {});
  const seen: string[] = [];
  const failure = await (async () => {
    try {
      for await (const frame of demuxer as AsyncIterable<StdFrame>) {
        seen.push(frame.payload.toString());
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      return err as Error;
    }
    return undefined;
  })();
  t.equal(seen.length, 100, 'all hundred frames');
  t.equal(seen[99], '99');
  t.equal(failure?.message, 'error from daemon in stream: late failure');
});

t.test('an unknown stream type fails with "Unrecognized input header"', async (t) => {
  const socketPath = await serve(t, (socket) => {
    socket.write(HI_ON_STDOUT);
    socket.write(Buffer.from('05000000000000014141', 'hex'));
  });
  const { frames, error } = await receive(socketPath);
  t.same(readable(frames), [[StdStream.stdout, 'hi\n']]);
  t.equal(error?.message, 'Unrecognized input header: 5');
});

t.test('input cut off inside a payload fails with unexpected EOF', async (t) => {
  const socketPath = await serve(t, (socket) => {
    socket.write(HI_ON_STDOUT);
    socket.write(encodeFrame(StdStream.stderr, Buffer.from('0123456789')).subarray(0, 8 + 3));
  });
  const { frames, error } = await receive(socketPath);
  t.same(readable(frames), [[StdStream.stdout, 'hi\n']]);
  t.equal(error?.message, 'unexpected EOF in stdcopy stream');
});

t.test('input cut off inside a header fails with unexpected EOF', async (t) => {
  const socketPath = await serve(t, (socket) => socket.write(Buffer.from('0100000000', 'hex')));
  const { frames, error } = await receive(socketPath);
  t.same(frames, []);
  t.equal(error?.message, 'unexpected EOF in stdcopy stream');
});

class Collector extends Writable {
  readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.parts.push(chunk);
    setImmediate(done); // asynchronous, so demuxTo has to respect a destination that is not instantly done
  }
  get text(): string {
    return Buffer.concat(this.parts).toString();
  }
}

t.test('demuxTo sends stdout and stdin frames to stdout and stderr frames to stderr', async (t) => {
  const socketPath = await serve(t, (socket) => {
    const muxer = new StdcopyMuxer(socket);
    muxer.write(StdStream.stdout, Buffer.from('out1 '));
    muxer.write(StdStream.stderr, Buffer.from('err1 '));
    muxer.write(StdStream.stdin, Buffer.from('in1 '));
    muxer.write(StdStream.stdout, Buffer.alloc(64 * 1024, 0x2e));
    muxer.write(StdStream.stderr, Buffer.from('err2'));
  });
  const stdout = new Collector({ highWaterMark: 1 });
  const stderr = new Collector({ highWaterMark: 1 });
  await demuxTo(net.connect(socketPath), stdout, stderr);
  t.equal(stdout.text, `out1 in1 ${'.'.repeat(64 * 1024)}`);
  t.equal(stderr.text, 'err1 err2');
  t.notOk(stdout.writableEnded, 'destinations are left open');
});

t.test('demuxTo writes the output before a systemerr, then rejects with it', async (t) => {
  const socketPath = await serve(t, (socket) => {
    socket.write(
      Buffer.concat([
        encodeFrame(StdStream.stdout, Buffer.from('partial ')),
        encodeFrame(StdStream.stderr, Buffer.from('warn ')),
        encodeFrame(StdStream.systemerr, Buffer.from('Error grabbing logs: disk on fire')),
      ]),
    );
  });
  const stdout = new Collector({ highWaterMark: 1 });
  const stderr = new Collector({ highWaterMark: 1 });
  await t.rejects(demuxTo(net.connect(socketPath), stdout, stderr), {
    message: 'error from daemon in stream: Error grabbing logs: disk on fire',
  });
  t.equal(stdout.text, 'partial ');
  t.equal(stderr.text, 'warn ');
});

// An independent decoder, written from the format description alone, proves the bytes and not just our symmetry.
const PYTHON_DECODER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
data = b''
while True:
    part = s.recv(65536)
    if not part:
        break
    data += part
frames, i = [], 0
while i < len(data):
    stream, length = struct.unpack('>BxxxL', data[i:i + 8])
    payload = data[i + 8:i + 8 + length]
    assert len(payload) == length, 'truncated frame'
    frames.append({'stream': stream, 'payload': payload.hex()})
    i += 8 + length
print(json.dumps(frames))
`;

t.test('python decoding the socket bytes with struct.unpack(">BxxxL") sees the same frames', async (t) => {
  const sent: Array<[StdStreamId, Buffer]> = [
    [StdStream.stdout, Buffer.from('hi\n')],
    [StdStream.stderr, Buffer.alloc(300, 0x41)], // length needs two bytes
    [StdStream.stdin, Buffer.from([0, 1, 2, 255])],
    [StdStream.stdout, Buffer.alloc(70_000, 0x7a)], // length needs three bytes
    [StdStream.systemerr, Buffer.from('Error grabbing logs: x')],
  ];
  const socketPath = await serve(t, (socket) => {
    const muxer = new StdcopyMuxer(socket);
    for (const [stream, payload] of sent) muxer.write(stream, payload);
  });
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', PYTHON_DECODER, socketPath], { maxBuffer: 1 << 20 }, (err, out, errOut) =>
      err ? reject(new Error(`python3 failed: ${errOut}`, { cause: err })) : resolve(out),
    ),
  );
  t.same(
    JSON.parse(stdout),
    sent.map(([stream, payload]) => ({ stream, payload: payload.toString('hex') })),
  );
});
