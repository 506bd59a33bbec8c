// A failed start in docker's terms: the exit code moby derives from the message
// (daemon/errors.go setExitCodeFromError) and the status class that goes with it.

import { KapalError } from '../../domain/errors.js';

export function startFailure(message: string): { exitCode: number; error: KapalError; text: string } {
  const text = `failed to create task for container: kapal-shim: unable to start container process: ${message}: unknown`;
  if (/executable file not found|no such file or directory/.test(message)) return { exitCode: 127, error: new KapalError('InvalidArgument', text), text };
  if (/permission denied|is a directory/.test(message)) return { exitCode: 126, error: new KapalError('InvalidArgument', text), text };
  return { exitCode: 128, error: new KapalError('Internal', text), text };
}
