// A failed start in docker's terms: the exit code moby derives from the message
// (daemon/errors.go setExitCodeFromError) and the status class that goes with it.

import { KapalError } from '../../domain/errors.js';

function exitCodeOf(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 128;
}

export function startFailure(message: string): { exitCode: number; error: KapalError; text: string } {
  const text = `failed to create task for container: kapal-shim: unable to start container process: ${message}: unknown`;
  const exitCode = exitCodeOf(message);
  return { exitCode, error: new KapalError(exitCode === 128 ? 'Internal' : 'InvalidArgument', text), text };
}

/** A failed exec start: what moby writes into the exec's stream, and the exit code it records. */
export function execFailure(message: string): { exitCode: number; text: string } {
  return { exitCode: exitCodeOf(message), text: `kapal-shim exec failed: unable to start container process: ${message}: unknown` };
}
