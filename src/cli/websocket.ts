// A websocket client small enough for the CLI (RFC 6455 framing over the socket ApiClient.upgrade
// hands over): kapal's attach and exec streams, protocol kapal.attach.v1 (binary frames for
// data, text frames for JSON control messages; see src/api/streams/websocket-session.ts).

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

export interface WebsocketHandlers {
  binary(data: Buffer): void;
  text(data: string): void;
  close(code: number, reason: string): void;
}

export class WebsocketClient {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOp = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    head: Buffer,
    private readonly on: WebsocketHandlers,
  ) {
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish(1006, 'connection closed'));
    socket.on('error', () => this.finish(1006, 'connection error'));
    if (head.length > 0) this.receive(head);
  }

  sendBinary(data: Buffer): boolean {
    return this.send(OP_BINARY, data);
  }

  sendText(text: string): boolean {
    return this.send(OP_TEXT, Buffer.from(text));
  }

  /** Waits for the socket to take more (stdin backpressure). */
  whenDrained(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  close(code = 1000): void {
    if (this.closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.send(OP_CLOSE, payload);
    this.socket.end();
  }

  private send(op: number, data: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    const len = data.length;
    const header = Buffer.alloc(len < 126 ? 6 : len < 65536 ? 8 : 14);
    header[0] = 0x80 | op;
    let at = 2;
    if (len < 126) header[1] = 0x80 | len;
    else if (len < 65536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
      at = 4;
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
      at = 10;
    }
    const mask = randomBytes(4);
    mask.copy(header, at);
    const masked = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) masked[i] = data[i]! ^ mask[i & 3]!;
    return this.socket.write(Buffer.concat([header, masked]));
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const op = b[0]! & 0x0f;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      const payload = b.subarray(at, at + len);
      this.buffered = b.subarray(at + len);
      this.frame(fin, op, payload);
    }
  }

  private frame(fin: boolean, op: number, payload: Buffer): void {
    if (op === OP_PING) return void this.send(0xa, payload);
    if (op === OP_CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.finish(code, payload.subarray(2).toString('utf8'));
      this.socket.end();
      return;
    }
    if (op === OP_TEXT || op === OP_BINARY) {
      this.fragmentOp = op;
      this.fragments = [];
    } else if (op !== OP_CONT) return;
    this.fragments.push(Buffer.from(payload));
    if (!fin) return;
    const data = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
    this.fragments = [];
    if (this.fragmentOp === OP_TEXT) this.on.text(data.toString('utf8'));
    else this.on.binary(data);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.on.close(code, reason);
  }
}
