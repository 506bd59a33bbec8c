// What `system df` reports: GET /system/df, in docker's shape.

import type { ApiClient } from '../../client.js';
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

export function diskUsage(api: ApiClient): Promise<DiskUsage> {
  return api.json<DiskUsage>('GET', '/system/df');
}
