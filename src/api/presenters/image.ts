// Images in the shapes of Docker's API: the list summary, inspect and history.

import type { Image } from '../../domain/image.js';
import { familiarString, parseReference } from '../../images/reference.js';

const familiar = (names: string[]) => names.map((n) => familiarString(parseReference(n)));

/** Created as Unix seconds; images without a created time report 0, as docker does. */
function createdSeconds(image: Image): number {
  const t = image.parsed.created ? Date.parse(image.parsed.created) : NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

/** "busybox@sha256:..." for each digest reference, as docker's RepoDigests. */
function repoDigests(image: Image): string[] {
  return familiar(image.digests);
}

export function imageSummary(image: Image) {
  return {
    Id: image.id,
    ParentId: '',
    RepoTags: familiar(image.tags),
    RepoDigests: repoDigests(image),
    Created: createdSeconds(image),
    Size: image.size,
    SharedSize: -1,
    Labels: image.parsed.config?.Labels ?? null,
    Containers: -1,
  };
}

export function imageInspect(image: Image, graphDriver: { lowerDirs: string[] }) {
  const c = image.parsed;
  return {
    Id: image.id,
    RepoTags: familiar(image.tags),
    RepoDigests: repoDigests(image),
    Parent: '',
    Comment: c.comment ?? '',
    Created: c.created ?? '',
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: null,
      Cmd: null,
      Image: '',
      Volumes: null,
      WorkingDir: '',
      Entrypoint: null,
      OnBuild: null,
      Labels: null,
      ...(c.config ?? {}),
    },
    Architecture: c.architecture ?? '',
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os ?? '',
    Size: image.size,
    GraphDriver: {
      Name: 'overlayfs',
      Data: graphDriver.lowerDirs.length > 0 ? { LowerDir: graphDriver.lowerDirs.join(':') } : {},
    },
    RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: image.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

/**
 * GET /images/{name}/history: newest first. Entries that made a layer take that layer's size;
 * the newest entry carries the image ID and tags, the others "<missing>" (their images are not
 * separately known), as docker shows for pulled and loaded images.
 */
export function imageHistory(image: Image, layerSizes: number[]) {
  const history = image.parsed.history ?? [];
  let layer = 0;
  const rows = history.map((h) => {
    const size = h.empty_layer ? 0 : (layerSizes[layer++] ?? 0);
    return {
      Id: '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) || 0 : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null as string[] | null,
      Size: size,
      Comment: h.comment ?? '',
    };
  });
  rows.reverse();
  if (rows[0]) {
    rows[0].Id = image.id;
    rows[0].Tags = familiar(image.tags);
  }
  return rows;
}
