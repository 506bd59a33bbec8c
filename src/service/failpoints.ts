// Failure points for the crash-safety tests: named places in create, start, stop, remove, exec,
// pull and load where kapald can be made to die at once, as kill -9 would kill it there. They are
// armed only by the test-only environment variable KAPAL_TEST_FAILPOINTS (a comma-separated list
// of names), read once by the composition root; unarmed, failpoint() is a Set lookup.

const armed = new Set<string>();

/** Every failure point kapald has, in the order an operation passes them. */
export const FAILPOINTS = [
  'create.prepared', // the container's directories exist, no row yet
  'create.committed', // the row, endpoints and volumes are in, no event yet
  'start.network', // addresses handed out and ports recorded, no shim yet
  'start.launched', // the shim holds the child before exec; veths made
  'start.recorded', // the store says running; nothing watches the shim yet
  'stop.signalled', // the stop signal is sent, the exit not yet recorded
  'remove.marked', // status removing, nothing removed yet
  'remove.destroyed', // cgroups, state and files gone; the row is still there
  'exec.launched', // the exec's shim runs the process; kapald has not recorded it
  'image.unpacked', // a load or pull: blobs stored and layers unpacked, nothing registered
  'image.registered', // the image is registered, no event yet
] as const;

export type Failpoint = (typeof FAILPOINTS)[number];

/** Arms the named points; unknown names are refused so a typo cannot make a test pass. */
export function armFailpoints(spec: string | undefined): void {
  for (const name of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(FAILPOINTS as readonly string[]).includes(name)) throw new Error(`unknown failure point ${JSON.stringify(name)}; known: ${FAILPOINTS.join(', ')}`);
    armed.add(name);
  }
}

/** Dies here, without any clean-up, when this point is armed. */
export function failpoint(name: Failpoint): void {
  if (armed.size === 0 || !armed.has(name)) return;
  process.stderr.write(`kapald: failure point ${name}: dying as kill -9 would\n`);
  process.kill(process.pid, 'SIGKILL');
}
