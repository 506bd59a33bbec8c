// Finds the detach keys in a TTY attach's stdin exactly as moby does (moby/term proxy.go, the
// escape proxy daemon/attach.go puts in front of a TTY's stdin): a key counts only when it arrives
// as a read of its own, one byte, as typed keys do. Its bytes are held back while the sequence may
// still come, and passed on, ahead of the read that breaks it, when it does not. Anything read
// together with other bytes (a paste, a script's write) is never taken for the keys; that keeps
// kapald in step with the docker CLI, which detects the keys the same way on its side and would
// otherwise wait for the container's exit after a detach it did not see.

export class DetachMatcher {
  /** How many bytes of the keys have matched so far (held back, not yet passed on). */
  private held = 0;

  constructor(private readonly keys: Buffer) {
    if (keys.length === 0) throw new RangeError('detach keys cannot be empty');
  }

  /** One read of the client's stdin: what to pass on to the container, and whether to detach. */
  feed(chunk: Buffer): { pass: Buffer; detach: boolean } {
    if (chunk.length === 1 && chunk[0] === this.keys[this.held]) {
      if (++this.held < this.keys.length) return { pass: Buffer.alloc(0), detach: false };
      this.held = 0;
      return { pass: Buffer.alloc(0), detach: true };
    }
    if (this.held === 0) return { pass: chunk, detach: false };
    const pass = Buffer.concat([this.keys.subarray(0, this.held), chunk]);
    this.held = 0;
    return { pass, detach: false };
  }
}
