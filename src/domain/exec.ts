// An exec instance (docker exec): a process run in a running container, created first and started
// later, remembered in memory like moby's until its container goes or it is collected.

export interface ExecProcess {
  /** The command, argv[0] first (Entrypoint + Args in moby's inspect). */
  cmd: string[];
  /** The exec's own Env, applied over the container's environment. */
  env: string[];
  /** User and WorkingDir, the container's when the exec gave none. */
  user: string;
  workingDir: string;
  tty: boolean;
  privileged: boolean;
  /** [rows, cols]; [0, 0] leaves the pty's size alone. */
  consoleSize: [number, number];
}

export interface Exec {
  id: string;
  containerId: string;
  process: ExecProcess;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  /** As given (docker's spelling); empty for the default. */
  detachKeys: string;
  detachKeyBytes: Buffer;
  running: boolean;
  /** null until the process exited (or could not be started). */
  exitCode: number | null;
  /** The process as the host sees it; 0 before the start. */
  pid: number;
}
