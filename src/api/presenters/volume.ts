// Volumes in the shape of Docker's API (Volume, VolumeListResponse).

import type { Volume } from '../../domain/volume.js';

export function volumeJson(v: Volume, mountpoint: string) {
  // RFC 3339 in whole seconds, as moby prints it.
  return { CreatedAt: v.createdAt.replace(/\.\d+Z$/, 'Z'), Driver: v.driver, Labels: v.labels, Mountpoint: mountpoint, Name: v.name, Options: v.options, Scope: 'local' };
}
