// What `system df` reports: GET /system/df. kapald does not serve that route yet, so on its 404
// the same DiskUsage is put together from the lists (images, containers with sizes, volumes);
// then volume sizes are unknown (-1, left out of totals as docker leaves them) and image sizes
// are summed without knowing which layers images share.

import { DaemonError, type ApiClient } from '../../client.js';
import type { Volume } from './volume/ls.js';

export interface ImageUsage {
  Id: string;
  RepoTags: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
}

export interface ContainerUsage {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  SizeRw?: number;
  Mounts?: { Type?: string; Name?: string; Driver?: string }[] | null;
}

export interface BuildCacheRecord {
  ID: string;
  Type: string;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
  InUse: boolean;
  Shared: boolean;
}

export interface DiskUsage {
  LayersSize: number;
  Images: ImageUsage[] | null;
  Containers: ContainerUsage[] | null;
  Volumes: Volume[] | null;
  BuildCache: BuildCacheRecord[] | null;
}

export async function diskUsage(api: ApiClient): Promise<DiskUsage> {
  try {
    return await api.json<DiskUsage>('GET', '/system/df');
  } catch (err) {
    if (!(err instanceof DaemonError && err.status === 404)) throw err;
    return diskUsageFromLists(api);
  }
}

async function diskUsageFromLists(api: ApiClient): Promise<DiskUsage> {
  const [images, containers, volumes] = await Promise.all([
    api.json<ImageUsage[]>('GET', '/images/json'),
    api.json<ContainerUsage[]>('GET', '/containers/json?all=1&size=1'),
    api.json<{ Volumes: Volume[] | null }>('GET', '/volumes'),
  ]);
  const count = <K>(keys: K[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<K, number>());
  const byImage = count(containers.map((c) => c.ImageID));
  const byVolume = count(containers.flatMap((c) => (c.Mounts ?? []).filter((m) => m.Type === 'volume').map((m) => m.Name)));
  return {
    LayersSize: images.reduce((sum, i) => sum + i.Size, 0),
    // Shared size 0: without layer data each image counts as its own.
    Images: images.map((i) => ({ ...i, SharedSize: 0, Containers: byImage.get(i.Id) ?? 0 })),
    Containers: containers,
    Volumes: (volumes.Volumes ?? []).map((v) => ({ ...v, UsageData: { Size: -1, RefCount: byVolume.get(v.Name) ?? 0 } })),
    BuildCache: [],
  };
}
