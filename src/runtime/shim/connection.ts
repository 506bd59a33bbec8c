// kapald's side of a container socket (STATE_DIR/sock): attach to output, feed stdin, resize,
// signal, and learn of the exit. One ShimConnection per client; the shim serves many.

import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SHIM_FRAME_HEADER, SHIM_FRAME_MAX, ShimClientMsg, ShimOutputMsg, encodeFrame, u32, type ShimExit } from './protocol.js';

const SUN_PATH_MAX = 107;

/** Connects to the shim's socket; paths too long for sun_path go through /proc/self/fd. */
export function connectShimSocket(stateDir: string): Promise<net.Socket> {
  const direct = path.join(stateDir, 'sock');
  let dirFd: number | undefined;
  let target = direct;
  if (Buffer.byteLength(direct) > SUN_PATH_MAX) {
    dirFd = openSync(stateDir, 'r');
    target = `/proc/self/fd/${dirFd}/sock`;
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    const done = () => {
      if (dirFd !== undefined) closeSync(dirFd);
      dirFd = undefined;
    };
    socket.once('connect', () => {
      done();
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      done();
      reject(err);
    });
  });
}

export function readExitFile(stateDir: string): ShimExit | undefined {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, 'exit'), 'utf8')) as ShimExit;
  } catch {
    return undefined;
  }
}

export interface ShimOutputHandlers {
  stdout?: (chunk: Buffer) => void;
  stderr?: (chunk: Buffer) => void;
  /** The connection ended: after OUT_EXIT (with its payload), or because the shim went away. */
  end?: (exit: ShimExit | undefined) => void;
}

export class ShimConnection {
  private exit: ShimExit | undefined;

  private constructor(
    private readonly socket: net.Socket,
    handlers: ShimOutputHandlers,
  ) {
    const reader = new OutputReader((type, payload) => {
      if (type === ShimOutputMsg.OUT_STDOUT) handlers.stdout?.(payload);
      else if (type === ShimOutputMsg.OUT_STDERR) handlers.stderr?.(payload);
      else if (type === ShimOutputMsg.OUT_EXIT) this.exit = JSON.parse(payload.toString('utf8')) as ShimExit;
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {}); // 'close' follows and reports
    socket.on('close', () => handlers.end?.(this.exit));
  }

  /** Takes a socket connected with connectShimSocket (before SHIM_GO for clients that must miss nothing). */
  static adopt(socket: net.Socket, handlers: ShimOutputHandlers = {}): ShimConnection {
    return new ShimConnection(socket, handlers);
  }

  private send(type: number, payload?: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(type, payload));
  }

  attach(flags: number): void {
    this.send(ShimClientMsg.CLIENT_ATTACH, Buffer.from([flags]));
  }

  stdin(chunk: Buffer): boolean {
    for (let off = 0; off < chunk.length; off += 32768) this.send(ShimClientMsg.CLIENT_STDIN, chunk.subarray(off, off + 32768));
    return !this.socket.writableNeedDrain;
  }

  /** Runs `fn` once what stdin() wrote has gone to the shim (at once when nothing is waiting). */
  onceDrained(fn: () => void): void {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return fn();
    const done = () => {
      this.socket.off('drain', done).off('close', done);
      fn();
    };
    this.socket.on('drain', done).on('close', done);
  }

  closeStdin(): void {
    this.send(ShimClientMsg.CLIENT_CLOSE_STDIN);
  }

  resize(rows: number, cols: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(rows & 0xffff, 0);
    b.writeUInt16BE(cols & 0xffff, 2);
    this.send(ShimClientMsg.CLIENT_RESIZE, b);
  }

  signal(signo: number): void {
    this.send(ShimClientMsg.CLIENT_SIGNAL, u32(signo));
  }

  /** Stops reading output (the HTTP client is slow); the shim buffers, then drops us past its limit. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }
}

/**
 * The output side's frame parser, on the attach hot path: no payload is ever copied. One that lies
 * inside a socket chunk is handed on as a view of it; output (stdout, stderr) cut by a chunk
 * boundary is handed on piece by piece as it comes (a consumer never needs output whole); only
 * other messages (the exit) are assembled. Node gives every socket read a buffer of its own, so a
 * view stays valid; it keeps at most that chunk alive.
 */
class OutputReader {
  private readonly header = Buffer.alloc(SHIM_FRAME_HEADER);
  private headerHave = 0;
  private type = 0;
  private parts: Buffer[] = [];
  private missing = -1; // payload bytes still to come for the current frame; -1: reading a header

  constructor(private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.missing < 0) {
        let type: number;
        let length: number;
        if (this.headerHave === 0 && chunk.length - off >= SHIM_FRAME_HEADER) {
          type = chunk[off]!;
          length = chunk.readUInt32BE(off + 1);
          off += SHIM_FRAME_HEADER;
        } else {
          const n = chunk.copy(this.header, this.headerHave, off, off + SHIM_FRAME_HEADER - this.headerHave);
          this.headerHave += n;
          off += n;
          if (this.headerHave < SHIM_FRAME_HEADER) return;
          this.headerHave = 0;
          type = this.header[0]!;
          length = this.header.readUInt32BE(1);
        }
        if (length > SHIM_FRAME_MAX) throw new Error(`shim frame of ${length} bytes exceeds ${SHIM_FRAME_MAX}`);
        if (chunk.length - off >= length) { // the whole payload is here
          this.onFrame(type, chunk.subarray(off, off + length));
          off += length;
          continue;
        }
        this.type = type;
        this.missing = length;
        this.parts = [];
      }
      const take = Math.min(this.missing, chunk.length - off);
      const piece = chunk.subarray(off, off + take);
      off += take;
      this.missing -= take;
      if (OUTPUT.has(this.type)) {
        if (take > 0) this.onFrame(this.type, piece);
      } else {
        this.parts.push(piece);
        if (this.missing === 0) this.onFrame(this.type, Buffer.concat(this.parts));
      }
      if (this.missing === 0) this.missing = -1;
    }
  }
}

const OUTPUT = new Set<number>([ShimOutputMsg.OUT_STDOUT, ShimOutputMsg.OUT_STDERR]);
