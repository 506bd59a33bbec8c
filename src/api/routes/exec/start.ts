// POST /exec/{id}/start: runs a created exec. Detached: 200 once it runs. Attached: hijacked
// (Upgrade: tcp, 101) or, for clients that do not upgrade, a 200 raw stream; the start body's
// Tty (not the exec's) decides between raw bytes and stdcopy frames, as in moby. A start that
// fails after the 101 has moby's message written into the stream, and the exit code set.

import type { Duplex, Writable } from 'node:stream';
import { z } from 'zod';
import type { Api } from '../../app.js';
import { execStartSchema } from '../../schemas/exec.js';
import { outputWriter } from '../../streams/attach-output.js';
import { pipeHijackedInput } from '../../streams/hijacked-input.js';
import { startResponseStream } from '../../streams/response-stream.js';
import { acceptTcpUpgrade, upgradeSocket } from '../../streams/upgrade.js';
import type { Services } from '../index.js';

export default function startExec(app: Api, { execs }: Services): void {
  app.post('/exec/:id/start', { schema: { params: z.object({ id: z.string() }), body: execStartSchema } }, async (request, reply) => {
    const { id } = request.params;
    const body = request.body;
    const consoleSize = body.ConsoleSize ?? undefined;
    execs.claim(id);
    if (body.Detach) {
      await execs.launch(id, { consoleSize });
      return reply.code(200).send();
    }
    const tty = body.Tty ?? false;
    const socket: Duplex | undefined = upgradeSocket(request) && acceptTcpUpgrade(request, reply, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const out: Writable = socket ?? startResponseStream(reply, 'application/vnd.docker.raw-stream');
    const write = outputWriter(out, tty);
    const s = await execs.launch(id, { consoleSize, sink: { stdout: write.stdout, stderr: write.stderr, end: () => out.end() } }).catch((err: Error) => {
      write.stdout(Buffer.from(`${err.message}\r\n`)); // after the 101 there is no other way to say it
      out.end();
      return undefined;
    });
    if (!s) return; // it could not start: the message is in the stream, which has ended
    out.on('drain', () => s.drained());
    if (socket) pipeHijackedInput(socket, s, () => s.detach());
    else reply.raw.on('close', () => s.detach());
  });
}
