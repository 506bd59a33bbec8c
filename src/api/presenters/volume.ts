// Volumes in the shape of Docker's API (Volume, VolumeListResponse).

import type { Volume } from '../../domain/volume.js';

export function volumeJson(v: Volume, mountpoint: string) {
  return { CreatedAt: v.createdAt, Driver: v.driver, Labels: v.labels, Mountpoint: mountpoint, Name: v.name, Options: v.options, Scope: 'local' };
}
