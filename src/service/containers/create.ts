// A new container from a create request: docker's merge with the image config, HostConfig
// defaults, the network mode, a name and an ID, and the warnings docker clients print.

import type { Container } from '../../domain/container.js';
import { VALID_NAME, generateContainerId, generateName } from '../../domain/container-names.js';
import { invalidArgument } from '../../domain/errors.js';
import type { EndpointConfig } from '../../domain/network.js';
import { limitsOf } from '../../domain/resources.js';
import { containerMounts, type ContainerMount, type MountRequest } from '../../domain/volume.js';
import { existsSync, mkdirSync } from 'node:fs';
import { portRequests } from '../networks/port-bindings.js';
import { hostHostName } from '../../runtime/container-files.js';
import { MASKED_PATHS, READONLY_PATHS } from '../../runtime/container-spec.js';
import { completeHostConfig, mergeConfig, type CreateRequest } from '../container-create-config.js';
import type { ContainerServiceDeps } from './queries.js';
import { unsupportedSettings } from './unsupported.js';

const now = () => new Date().toISOString();

export function buildContainer(
  deps: Pick<ContainerServiceDeps, 'store' | 'images' | 'runtime' | 'logDefaults' | 'defaultPidsLimit' | 'networks'>,
  req: CreateRequest,
  name: string | undefined,
): { container: Container; warnings: string[]; joins: NetworkJoin[]; mounts: ContainerMount[] } {
  const { store, images, runtime } = deps;
  const image = images.get(req.Image);
  const config = mergeConfig(req, image.parsed.config ?? {});
  // The default pids limit only where the pids controller can apply it (no warning otherwise).
  const defaultPidsLimit = runtime.cgroups.features.pids ? (deps.defaultPidsLimit ?? 0) : 0;
  const hostConfig = completeHostConfig(req.HostConfig, deps.logDefaults, defaultPidsLimit);
  const warnings: string[] = unsupportedSettings(config, hostConfig);
  warnings.push(...runtime.discardUnsupported(hostConfig));
  warnings.push(...runtime.checkLimits(limitsOf(hostConfig)));
  // As dockerd stores it: swap defaults to as much again as the memory.
  if (typeof hostConfig.Memory === 'number' && hostConfig.Memory > 0 && !hostConfig.MemorySwap) hostConfig.MemorySwap = hostConfig.Memory * 2;
  const capWarning = runtime.capabilityWarning;
  if (capWarning) warnings.push(capWarning);
  const mounts = containerMounts({ binds: hostConfig.Binds as string[] | null, mounts: hostConfig.Mounts as MountRequest[] | null, tmpfs: hostConfig.Tmpfs as Record<string, string> | null, volumes: config.Volumes });
  for (const m of mounts) if (m.type === 'bind') bindSource(m);
  const networks = deps.networks.plan(hostConfig.NetworkMode, req.NetworkingConfig?.EndpointsConfig as Record<string, EndpointConfig> | null | undefined);
  hostConfig.NetworkMode = networks.mode;
  // Checked now, so a bad -p is a 400 at create rather than a failed start.
  const ports = portRequests(hostConfig.PortBindings as Parameters<typeof portRequests>[0], hostConfig.PublishAllPorts === true, config.ExposedPorts);
  if (ports.length > 0 && (networks.mode === 'host' || networks.mode === 'none')) warnings.push(`Published ports are discarded when using ${networks.mode} network mode`);
  if (runtime.usernsEnabled && hostConfig.UsernsMode !== 'host') {
    // moby's wording (daemon/daemon_unix.go verifyPlatformContainerSettings).
    if (hostConfig.Privileged) {
      throw invalidArgument('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
    }
    if (hostConfig.NetworkMode === 'host') throw invalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  }

  if (name !== undefined && !VALID_NAME.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const fullName = name !== undefined ? (name.startsWith('/') ? name : `/${name}`) : `/${generateName((n) => store.byName(n) !== undefined)}`;
  const id = generateContainerId((candidate) => store.get(candidate) !== undefined);
  if (!hostConfig.Privileged) {
    // As docker's inspect shows them: the paths the runtime masks and makes read-only.
    hostConfig.MaskedPaths ??= [...MASKED_PATHS];
    hostConfig.ReadonlyPaths ??= [...READONLY_PATHS];
  }
  if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? hostHostName() : id.slice(0, 12);

  const c: Container = {
    id,
    name: fullName,
    imageId: image.id,
    imageName: req.Image,
    config,
    hostConfig,
    createdAt: now(),
    restartCount: 0,
    manuallyStopped: false,
    state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: null, finishedAt: null },
  };
  return { container: c, warnings, joins: networks.joins, mounts };
}

/** -v makes a missing host directory (docker's legacy rule); --mount refuses it. */
function bindSource(m: Extract<ContainerMount, { type: 'bind' }>): void {
  if (existsSync(m.source)) return;
  if (!m.create) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
  mkdirSync(m.source, { recursive: true, mode: 0o755 });
}

export type NetworkJoin = ReturnType<ContainerServiceDeps['networks']['plan']>['joins'][number];
