// Recognises what a staged archive holds and says which images to load: docker save archives
// (manifest.json; docker 25+ adds an OCI layout beside it) and plain OCI image layouts
// (index.json). Only blobs are read here; nothing is unpacked.

import { invalidArgument } from '../../domain/errors.js';
import { MEDIA } from '../../domain/image.js';
import type { BlobInfo, ContentStore } from '../content-store.js';
import { planLegacyLoad } from './legacy-v1.js';
import { resolveFile, type StagedArchive } from './stage-archive.js';

export interface PlannedLayer {
  blob: BlobInfo;
  /** From the manifest when the archive has one; otherwise decided by the layer's content. */
  mediaType: string | undefined;
}

export interface LoadPlan {
  config: BlobInfo;
  layers: PlannedLayer[];
  /** A manifest in the archive that describes exactly this image, kept for save and push. */
  manifest: BlobInfo | undefined;
  /** Names as the archive gives them (not yet normalised). */
  names: string[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

interface OciManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

const MAX_INDEX_DEPTH = 4;

export async function planLoad(staged: StagedArchive, content: ContentStore, host: { os: string; architecture: string }): Promise<LoadPlan[]> {
  const readJson = <T>(blob: BlobInfo, what: string): T => {
    try {
      return JSON.parse(content.read(blob.digest).toString('utf8')) as T;
    } catch {
      throw invalidArgument(`invalid image archive: ${what} is not valid JSON`);
    }
  };
  const ociManifests = ociLayout(staged, content, host, readJson);
  const manifestJson = resolveFile(staged, 'manifest.json');
  if (manifestJson) return dockerSave(staged, readJson(manifestJson, 'manifest.json'), ociManifests);
  if (ociManifests.length > 0) return ociManifests;
  const repositories = resolveFile(staged, 'repositories');
  if (repositories) return planLegacyLoad(staged, content, repositories);
  throw invalidArgument('invalid image archive: no manifest.json or OCI index.json found');
}

function dockerSave(staged: StagedArchive, entries: unknown, oci: LoadPlan[]): LoadPlan[] {
  if (!Array.isArray(entries)) throw invalidArgument('invalid image archive: manifest.json is not a list');
  return entries.map((entry: { Config?: string; RepoTags?: string[] | null; Layers?: string[] }) => {
    const config = entry.Config !== undefined ? resolveFile(staged, entry.Config) : undefined;
    if (!config) throw invalidArgument(`invalid image archive: config ${JSON.stringify(entry.Config)} not found`);
    const layers = (entry.Layers ?? []).map((name) => {
      const blob = resolveFile(staged, name);
      if (!blob) throw invalidArgument(`invalid image archive: layer ${JSON.stringify(name)} not found`);
      return blob;
    });
    // docker 25+ archives also describe the image in OCI form: keep that manifest and its media types.
    const twin = oci.find((p) => p.config.digest === config.digest && p.layers.length === layers.length &&
      p.layers.every((l, i) => l.blob.digest === layers[i]!.digest));
    return {
      config,
      layers: layers.map((blob, i) => ({ blob, mediaType: twin?.layers[i]?.mediaType })),
      manifest: twin?.manifest,
      names: entry.RepoTags ?? [],
    };
  });
}

function ociLayout(
  staged: StagedArchive,
  content: ContentStore,
  host: { os: string; architecture: string },
  readJson: <T>(blob: BlobInfo, what: string) => T,
): LoadPlan[] {
  const index = resolveFile(staged, 'index.json');
  if (!index) return [];
  const blobOf = (d: Descriptor): BlobInfo => {
    const blob = resolveFile(staged, `blobs/sha256/${d.digest.replace(/^sha256:/, '')}`);
    if (!blob || blob.digest !== d.digest) throw invalidArgument(`invalid image archive: blob ${d.digest} not found`);
    return blob;
  };
  const plans: LoadPlan[] = [];
  const visit = (d: Descriptor, names: string[], depth: number) => {
    if (d.platform && ((d.platform.os && d.platform.os !== host.os) || (d.platform.architecture && d.platform.architecture !== host.architecture))) return;
    const blob = blobOf(d);
    const doc = readJson<{ mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(blob, d.digest);
    const mediaType = d.mediaType ?? doc.mediaType;
    if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerManifestList || doc.manifests) {
      if (depth >= MAX_INDEX_DEPTH) throw invalidArgument('invalid image archive: indexes nested too deeply');
      for (const child of doc.manifests ?? []) visit(child, [...names, ...namesOf(child)], depth + 1);
      return;
    }
    const manifest = doc as OciManifest;
    if (!manifest.config || !Array.isArray(manifest.layers)) throw invalidArgument(`invalid image archive: ${d.digest} is not a manifest`);
    plans.push({
      config: blobOf(manifest.config),
      layers: manifest.layers.map((l) => ({ blob: blobOf(l), mediaType: l.mediaType })),
      manifest: blob,
      names,
    });
  };
  const top = readJson<{ manifests?: Descriptor[] }>(index, 'index.json');
  for (const d of top.manifests ?? []) visit(d, namesOf(d), 0);
  return plans;
}

/** A full name from containerd's annotation, or a ref.name that is itself a full reference. */
function namesOf(d: Descriptor): string[] {
  const full = d.annotations?.['io.containerd.image.name'];
  if (full) return [full];
  const ref = d.annotations?.['org.opencontainers.image.ref.name'];
  // A bare tag ("latest") names no repository; such an image loads untagged, as in moby.
  return ref && /[/:]/.test(ref) ? [ref] : [];
}
