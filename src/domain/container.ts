// Containers as kapal knows them: the merged config they were created with, the host config, and
// the state the lifecycle (container-lifecycle.ts) moves them through.

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** docker's Config of a container, after the image's defaults were merged in. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  [key: string]: unknown;
}

/** The HostConfig fields kapal acts on; the rest of the request's HostConfig is kept as given. */
export interface HostConfig {
  NetworkMode: string;
  AutoRemove: boolean;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  SecurityOpt: string[] | null;
  ShmSize: number;
  Init?: boolean | null;
  Ulimits: { Name: string; Soft: number; Hard: number }[] | null;
  ConsoleSize: [number, number];
  GroupAdd: string[] | null;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  LogConfig: { Type: string; Config: Record<string, string> };
  [key: string]: unknown;
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Container {
  id: string;
  /** With docker's leading slash: "/web". */
  name: string;
  imageId: string;
  /** The image as the request named it. */
  imageName: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  createdAt: string;
  restartCount: number;
  /** docker stop or kill was the last word (moby's HasBeenManuallyStopped), until the next start. */
  manuallyStopped: boolean;
  state: ContainerState;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** `Path` and `Args` as docker reports them: the first word of Entrypoint + Cmd, and the rest. */
export function commandOf(config: Pick<ContainerConfig, 'Entrypoint' | 'Cmd'>): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}
