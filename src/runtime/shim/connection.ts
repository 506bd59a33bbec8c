// kapald's side of a container socket (STATE_DIR/sock): attach to output, feed stdin, resize,
// signal, and learn of the exit. One ShimConnection per client; the shim serves many.

import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { FrameReader, ShimClientMsg, ShimOutputMsg, encodeFrame, u32, type ShimExit } from './protocol.js';

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
    const reader = new FrameReader((frame) => {
      if (frame.type === ShimOutputMsg.OUT_STDOUT) handlers.stdout?.(Buffer.from(frame.payload));
      else if (frame.type === ShimOutputMsg.OUT_STDERR) handlers.stderr?.(Buffer.from(frame.payload));
      else if (frame.type === ShimOutputMsg.OUT_EXIT) this.exit = JSON.parse(frame.payload.toString('utf8')) as ShimExit;
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
