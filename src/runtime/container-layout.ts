// Where a container's files live. Persistent things (the rootfs upper and work dirs, the log, the
// files bind-mounted as /etc/hostname, /etc/hosts and /etc/resolv.conf) go under
// DATA-ROOT/containers/<id>; the shim's runtime state (spec, socket, pid and exit files) under
// EXEC-ROOT/containers/<id>, which a reboot clears.

import path from 'node:path';

export class ContainerLayout {
  constructor(
    private readonly dataRoot: string,
    private readonly execRoot: string,
  ) {}

  get containersDir(): string {
    return path.join(this.dataRoot, 'containers');
  }

  get statesDir(): string {
    return path.join(this.execRoot, 'containers');
  }

  dataDir(id: string): string {
    return path.join(this.containersDir, id);
  }

  upper(id: string): string {
    return path.join(this.dataDir(id), 'upper');
  }

  work(id: string): string {
    return path.join(this.dataDir(id), 'work');
  }

  rootfs(id: string): string {
    return path.join(this.dataDir(id), 'rootfs');
  }

  hostnameFile(id: string): string {
    return path.join(this.dataDir(id), 'hostname');
  }

  hostsFile(id: string): string {
    return path.join(this.dataDir(id), 'hosts');
  }

  resolvConf(id: string): string {
    return path.join(this.dataDir(id), 'resolv.conf');
  }

  logPath(id: string): string {
    return path.join(this.dataDir(id), `${id}-json.log`);
  }

  stateDir(id: string): string {
    return path.join(this.statesDir, id);
  }

  /** An exec's shim state, inside its container's: gone with the container's state. */
  execStateDir(id: string, execId: string): string {
    return path.join(this.stateDir(id), 'exec', execId);
  }
}
