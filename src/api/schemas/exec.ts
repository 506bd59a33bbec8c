// The bodies of POST /containers/{id}/exec and POST /exec/{id}/start (moby's ExecCreateRequest
// and ExecStartRequest). Unknown fields are kept, as moby ignores them.

import { z } from 'zod';

const consoleSize = z.tuple([z.number().int().min(0).max(65535), z.number().int().min(0).max(65535)]).nullable().optional();

export const execCreateSchema = z.looseObject({
  Cmd: z.union([z.array(z.string()), z.string().transform((s) => [s])]).nullable().optional(),
  Env: z.array(z.string()).nullable().optional(),
  User: z.string().optional(),
  WorkingDir: z.string().optional(),
  Tty: z.boolean().optional(),
  Privileged: z.boolean().optional(),
  AttachStdin: z.boolean().optional(),
  AttachStdout: z.boolean().optional(),
  AttachStderr: z.boolean().optional(),
  DetachKeys: z.string().optional(),
  ConsoleSize: consoleSize,
});

export const execStartSchema = z.looseObject({
  Detach: z.boolean().optional(),
  Tty: z.boolean().optional(),
  ConsoleSize: consoleSize,
});
