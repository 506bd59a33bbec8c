// GET /exec/{id}/json: moby's ExecInspectResponse. ExitCode is null until the process exited.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import type { Services } from '../index.js';

export default function inspectExec(app: Api, { execs }: Services): void {
  app.get('/exec/:id/json', { schema: { params: z.object({ id: z.string() }) } }, async (request, reply) => {
    const exec = execs.inspect(request.params.id);
    const [entrypoint, ...args] = exec.process.cmd;
    return reply.type(JSON_TYPE).send({
      ID: exec.id,
      Running: exec.running,
      ExitCode: exec.exitCode,
      ProcessConfig: { tty: exec.process.tty, entrypoint, arguments: args, privileged: exec.process.privileged, user: exec.process.user },
      OpenStdin: exec.attachStdin,
      OpenStderr: exec.attachStderr,
      OpenStdout: exec.attachStdout,
      CanRemove: false,
      ContainerID: exec.containerId,
      // moby sends the parsed key bytes (none when the exec named none), base64 by Go's JSON.
      DetachKeys: exec.detachKeys ? exec.detachKeyBytes.toString('base64') : '',
      Pid: exec.pid,
    });
  });
}
