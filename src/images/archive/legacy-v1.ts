// Archives of docker before 1.10: `repositories` names a top v1 image ID; each `<id>/json` holds
// a v1 image (with its parent's ID) and `<id>/layer.tar` its layer. As moby's legacy loader,
// the parent chain becomes one image: a config made from the top v1 JSON with rootfs and history,
// where empty layers are history only.

import { invalidArgument } from '../../domain/errors.js';
import type { BlobInfo, ContentStore } from '../content-store.js';
import { diffIdOf } from '../diff-id.js';
import type { LoadPlan } from './load-plan.js';
import { resolveFile, type StagedArchive } from './stage-archive.js';

/** The diff ID of a tar with no entries (two zero blocks): a layer that changes nothing. */
const EMPTY_LAYER = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const V1_ID = /^[a-f0-9]{64}$/;
const MAX_CHAIN = 500;

interface V1Image {
  id?: string;
  parent?: string;
  created?: string;
  author?: string;
  comment?: string;
  container_config?: { Cmd?: string[] | null } | null;
  [key: string]: unknown;
}

export async function planLegacyLoad(staged: StagedArchive, content: ContentStore, repositories: BlobInfo): Promise<LoadPlan[]> {
  const readJson = <T>(blob: BlobInfo, what: string): T => {
    try {
      return JSON.parse(content.read(blob.digest).toString('utf8')) as T;
    } catch {
      throw invalidArgument(`invalid image archive: ${what} is not valid JSON`);
    }
  };
  const repos = readJson<Record<string, Record<string, string>>>(repositories, 'repositories');
  const namesById = new Map<string, string[]>();
  for (const [repo, tags] of Object.entries(repos)) {
    for (const [tag, id] of Object.entries(tags)) namesById.set(id, [...(namesById.get(id) ?? []), `${repo}:${tag}`]);
  }
  const plans: LoadPlan[] = [];
  for (const [topId, names] of namesById) {
    const chain: { v1: V1Image; layer: BlobInfo }[] = [];
    for (let id: string | undefined = topId; id; ) {
      if (!V1_ID.test(id) || chain.length >= MAX_CHAIN) throw invalidArgument(`invalid image archive: bad v1 image ID ${JSON.stringify(id)}`);
      const json = resolveFile(staged, `${id}/json`);
      const layer = resolveFile(staged, `${id}/layer.tar`);
      if (!json || !layer) throw invalidArgument(`invalid image archive: v1 image ${id} is incomplete`);
      const v1: V1Image = readJson<V1Image>(json, `${id}/json`);
      chain.unshift({ v1, layer });
      id = v1.parent;
    }
    const layers: LoadPlan['layers'] = [];
    const diffIds: string[] = [];
    const history: object[] = [];
    for (const { v1, layer } of chain) {
      const { diffId } = await diffIdOf(content, layer);
      const empty = diffId === EMPTY_LAYER;
      history.push({
        created: v1.created,
        ...(v1.author ? { author: v1.author } : {}),
        created_by: (v1.container_config?.Cmd ?? []).join(' '),
        ...(v1.comment ? { comment: v1.comment } : {}),
        ...(empty ? { empty_layer: true } : {}),
      });
      if (empty) continue;
      diffIds.push(diffId);
      layers.push({ blob: layer, mediaType: undefined });
    }
    const top = { ...chain[chain.length - 1]!.v1 };
    for (const key of ['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway']) delete top[key];
    const config = Object.fromEntries(Object.entries({ ...top, rootfs: { type: 'layers', diff_ids: diffIds }, history }).sort(([a], [b]) => (a < b ? -1 : 1)));
    plans.push({ config: await content.writeBytes(Buffer.from(JSON.stringify(config))), layers, manifest: undefined, names });
  }
  return plans;
}
