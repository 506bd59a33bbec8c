// docker diff and docker commit: the container's writable layer against its image, and a new
// image of it. The container is paused while its layer is read (docker's default), so what is
// committed is one moment of it.

import type { Container, ContainerConfig } from '../../domain/container.js';
import { commandOf } from '../../domain/container.js';
import type { ContainerDefaults } from '../../domain/image.js';
import type { Reference } from '../../images/reference.js';
import { applyChanges } from '../../images/import-config.js';
import type { Readable } from 'node:stream';
import { layerChanges, layerTar, mergedTar, type LayerChange } from '../../runtime/container-layer.js';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import type { ImageService } from '../image-service.js';

export interface CommitRequest {
  repo: Reference | undefined;
  comment: string;
  author: string;
  pause: boolean;
  changes: string[];
  /** The body: config fields that replace the container's. */
  config: Partial<ContainerConfig>;
}

/** Paths the container's mounts cover: what is there belongs to the mounts, not the layer. */
function mountTargets(targets: string[]): Set<string> {
  return new Set(targets);
}

/** docker export: the container's file system as a tar (its mounts' content is not in it). */
export function exportContainer(runtime: ContainerRuntime, images: ImageService, c: Container): Readable {
  const owner = c.hostConfig.UsernsMode === 'host' ? undefined : runtime.usernsOwner;
  const layers = [runtime.layout.upper(c.id), ...images.layerPaths(images.get(c.imageId))];
  return mergedTar(layers, owner ? { uid: owner.rootUid, gid: owner.rootGid } : undefined);
}

export function containerChanges(runtime: ContainerRuntime, images: ImageService, c: Container, targets: string[]): LayerChange[] {
  return layerChanges(runtime.layout.upper(c.id), images.layerPaths(images.get(c.imageId)), mountTargets(targets));
}

/** The image config of the commit: the container's own (as docker does), the body over it, then the changes. */
export function commitConfig(c: Container, req: CommitRequest): ContainerDefaults {
  const { Hostname: _h, Domainname: _d, AttachStdin: _i, AttachStdout: _o, AttachStderr: _e, Image: _img, ...rest } = c.config;
  const config: ContainerDefaults = { ...rest, ...req.config } as ContainerDefaults;
  applyChanges(config, req.changes);
  return config;
}

export async function commitContainer(
  deps: { runtime: ContainerRuntime; images: ImageService },
  c: Container,
  running: boolean,
  targets: string[],
  req: CommitRequest,
): Promise<string> {
  const config = commitConfig(c, req);
  const pause = running && req.pause && c.state.status !== 'paused';
  if (pause) await deps.runtime.setFrozen(c.id, true);
  try {
    const owner = c.hostConfig.UsernsMode === 'host' ? undefined : deps.runtime.usernsOwner;
    const lowers = deps.images.layerPaths(deps.images.get(c.imageId));
    const layer = layerTar(deps.runtime.layout.upper(c.id), lowers, mountTargets(targets), owner ? { uid: owner.rootUid, gid: owner.rootGid } : undefined);
    return await deps.images.commit(c.imageId, layer, { config, author: req.author, comment: req.comment, createdBy: commandOf(c.config).join(' '), repo: req.repo });
  } finally {
    if (pause) await deps.runtime.setFrozen(c.id, false);
  }
}
