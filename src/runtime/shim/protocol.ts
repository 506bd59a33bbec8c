// The kapal-shim protocol as kapald sees it: the message numbers of native/shim-protocol.h (a
// test compares the two) and the frame codec. docs/shim.md draws the exchange.

export const SHIM_PROTOCOL_VERSION = 1;
export const SHIM_FRAME_HEADER = 5;
export const SHIM_FRAME_MAX = 32768;
export const SHIM_CLIENT_BUFFER_MAX = 32 * 1024 * 1024;

export const ShimStartMsg = {
  SHIM_READY: 1,
  SHIM_GO: 2,
  SHIM_STARTED: 3,
  SHIM_FAILED: 4,
} as const;

export const ShimSyncMsg = {
  SYNC_GO: 16,
  SYNC_PTY: 17,
  SYNC_ERROR: 18,
} as const;

export const ShimClientMsg = {
  CLIENT_ATTACH: 32,
  CLIENT_STDIN: 33,
  CLIENT_CLOSE_STDIN: 34,
  CLIENT_RESIZE: 35,
  CLIENT_SIGNAL: 36,
} as const;

export const ShimOutputMsg = {
  OUT_STDOUT: 48,
  OUT_STDERR: 49,
  OUT_EXIT: 50,
} as const;

export const ShimAttachFlag = {
  ATTACH_STDIN: 1,
  ATTACH_STDOUT: 2,
  ATTACH_STDERR: 4,
} as const;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(SHIM_FRAME_HEADER);
  header[0] = type;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Splits a byte stream into frames; feed it every chunk, it calls `onFrame` per whole frame. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Frame) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= SHIM_FRAME_HEADER) {
      const length = this.pending.readUInt32BE(1);
      if (length > SHIM_FRAME_MAX) throw new Error(`shim frame of ${length} bytes exceeds ${SHIM_FRAME_MAX}`);
      if (this.pending.length < SHIM_FRAME_HEADER + length) return;
      const type = this.pending[0]!;
      const payload = this.pending.subarray(SHIM_FRAME_HEADER, SHIM_FRAME_HEADER + length);
      this.pending = this.pending.subarray(SHIM_FRAME_HEADER + length);
      this.onFrame({ type, payload });
    }
  }
}

/** The exit file the shim writes atomically to STATE_DIR/exit, also sent as OUT_EXIT. */
export interface ShimExit {
  exitCode: number;
  signal: number;
  oomKilled: boolean;
  finishedAt: string;
  pid: number;
}
