// The body of POST /containers/create (docker's ContainerConfig plus HostConfig and
// NetworkingConfig). Unknown fields are kept, as moby ignores them (docker-py and dockerode add
// extras); the fields kapal reads are typed here so bad input is a 400 that names the field.

import { z } from 'zod';

const stringList = z.array(z.string());
/** Cmd and Entrypoint: a list, a single string (shell form), or null. */
const command = z.union([stringList, z.string()]).nullable().optional();
const labels = z.record(z.string(), z.string()).nullable().optional();
const emptyObjectMap = z.record(z.string(), z.looseObject({})).nullable().optional();

/** The resource limits of create and update (moby's checks of their values are the service's). */
export const limitFields = {
  Memory: z.number().int().min(0).optional(),
  MemorySwap: z.number().int().min(-1).optional(),
  MemoryReservation: z.number().int().min(0).optional(),
  NanoCpus: z.number().int().min(0).optional(),
  CpuShares: z.number().int().min(0).optional(),
  CpuPeriod: z.number().int().min(0).optional(),
  CpuQuota: z.number().int().min(-1).optional(),
  CpusetCpus: z.string().optional(),
  CpusetMems: z.string().optional(),
  PidsLimit: z.number().int().min(-1).nullable().optional(),
  BlkioWeight: z.number().int().min(0).max(65535).optional(),
  OomKillDisable: z.boolean().nullable().optional(),
};

export const hostConfigSchema = z.looseObject({
  Binds: stringList.nullable().optional(),
  Mounts: z
    .array(
      z.looseObject({
        Type: z.string().optional(),
        Source: z.string().optional(),
        Target: z.string().optional(),
        ReadOnly: z.boolean().optional(),
        BindOptions: z.looseObject({ Propagation: z.string().optional(), CreateMountpoint: z.boolean().optional() }).nullable().optional(),
        VolumeOptions: z.looseObject({ NoCopy: z.boolean().optional(), Subpath: z.string().optional() }).nullable().optional(),
        TmpfsOptions: z.looseObject({ SizeBytes: z.number().int().min(0).optional(), Mode: z.number().int().min(0).optional() }).nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
  Tmpfs: z.record(z.string(), z.string()).nullable().optional(),
  NetworkMode: z.string().optional(),
  PortBindings: z
    .record(z.string(), z.array(z.looseObject({ HostIp: z.string().optional(), HostPort: z.string().optional() })).nullable())
    .nullable()
    .optional(),
  RestartPolicy: z
    .looseObject({ Name: z.string().optional(), MaximumRetryCount: z.number().int().optional() })
    .optional(),
  AutoRemove: z.boolean().optional(),
  Privileged: z.boolean().optional(),
  ReadonlyRootfs: z.boolean().optional(),
  CapAdd: stringList.nullable().optional(),
  CapDrop: stringList.nullable().optional(),
  ...limitFields,
  ShmSize: z.number().int().min(0).optional(),
  LogConfig: z.looseObject({ Type: z.string().optional(), Config: z.record(z.string(), z.string()).nullable().optional() }).optional(),
});

export const containerCreateSchema = z.looseObject({
  Image: z.string({ error: 'must be set to an image name' }).min(1, 'must be set to an image name'),
  Hostname: z.string().optional(),
  Domainname: z.string().optional(),
  User: z.string().optional(),
  AttachStdin: z.boolean().optional(),
  AttachStdout: z.boolean().optional(),
  AttachStderr: z.boolean().optional(),
  Tty: z.boolean().optional(),
  OpenStdin: z.boolean().optional(),
  StdinOnce: z.boolean().optional(),
  Env: stringList.nullable().optional(),
  Cmd: command,
  Entrypoint: command,
  WorkingDir: z.string().optional(),
  Labels: labels,
  ExposedPorts: emptyObjectMap,
  Volumes: emptyObjectMap,
  StopSignal: z.string().optional(),
  StopTimeout: z.number().int().nullable().optional(),
  HostConfig: hostConfigSchema.nullable().optional(),
  NetworkingConfig: z.looseObject({ EndpointsConfig: emptyObjectMap }).nullable().optional(),
});

export type ContainerCreateBody = z.infer<typeof containerCreateSchema>;

/** moby's validContainerNamePattern. */
export const containerName = z
  .string()
  .regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, with at least two characters');
