// Images as kapal knows them: an immutable config (whose digest is the image ID), the layers it
// stands on, and the references (tags, digests) that name it.

/** The OCI/Docker image config fields kapal reads; the bytes are kept as delivered. */
export interface ImageConfig {
  architecture?: string;
  variant?: string;
  os?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  config?: ContainerDefaults | null;
  rootfs?: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface ContainerDefaults {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** One layer of an image: where it is unpacked (chain ID) and the blob it came as. */
export interface ImageLayer {
  chainId: string;
  diffId: string;
  digest: string;
  mediaType: string;
  size: number;
}

export interface Image {
  id: string;
  config: Buffer;
  parsed: ImageConfig;
  manifestDigest: string;
  layers: ImageLayer[];
  /** Bytes of the unpacked layers. */
  size: number;
  createdAt: string;
  lastTagTime: string | null;
  /** Canonical references: tags first, then digests. */
  tags: string[];
  digests: string[];
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;
