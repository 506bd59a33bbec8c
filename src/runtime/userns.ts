// --userns-remap: which host ids a container's ids map to, read as dockerd reads them from
// /etc/subuid and /etc/subgid for the remap user ("default" is docker's `dockremap`).

import { readFileSync } from 'node:fs';
import type { IdRange } from './shim/spec.js';

export interface UsernsRemap {
  uidMap: IdRange[];
  gidMap: IdRange[];
  /** The host ids of the container's root, which owns its writable layer. */
  rootUid: number;
  rootGid: number;
}

export interface SubidFiles {
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
}

const HOST_FILES: SubidFiles = { passwd: '/etc/passwd', group: '/etc/group', subuid: '/etc/subuid', subgid: '/etc/subgid' };

function readLines(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** Name and numeric id of `who` in a passwd or group file (a number need not be listed). */
function identify(who: string, file: string): { name: string | undefined; id: string } | undefined {
  const entry = readLines(file).find((f) => f[0] === who || f[2] === who);
  if (entry) return { name: entry[0], id: entry[2]! };
  return /^\d+$/.test(who) ? { name: undefined, id: who } : undefined;
}

/** The subordinate ranges of `owner` (by name or id), each mapped after the previous one inside. */
function ranges(owner: { name: string | undefined; id: string }, file: string): IdRange[] {
  const out: IdRange[] = [];
  let inside = 0;
  for (const [who, start, count] of readLines(file)) {
    if (who !== owner.name && who !== owner.id) continue;
    const range = { inside, outside: Number(start), count: Number(count) };
    if (!Number.isSafeInteger(range.outside) || !Number.isSafeInteger(range.count) || range.count <= 0) continue;
    out.push(range);
    inside += range.count;
  }
  return out;
}

/** Resolves `default`, `user`, `user:group`, `uid` or `uid:gid`; a clear error when it cannot. */
export function resolveUsernsRemap(setting: string, files: SubidFiles = HOST_FILES): UsernsRemap {
  const [userPart, groupPart] = (setting === 'default' ? 'dockremap' : setting).split(':') as [string, string | undefined];
  const user = identify(userPart, files.passwd);
  if (!user) {
    throw new Error(
      `userns-remap: no user ${JSON.stringify(userPart)}${setting === 'default' ? ' (create it: useradd --system dockremap, then give it ranges in /etc/subuid and /etc/subgid)' : ''}`,
    );
  }
  // Without a group, the group of the user's name (docker's default is dockremap:dockremap).
  const group = groupPart === undefined ? (identify(user.name ?? user.id, files.group) ?? user) : identify(groupPart, files.group);
  if (!group) throw new Error(`userns-remap: no group ${JSON.stringify(groupPart)}`);
  const uidMap = ranges(user, files.subuid);
  const gidMap = ranges(group, files.subgid);
  if (uidMap.length === 0) throw new Error(`userns-remap: ${files.subuid} has no range for ${user.name ?? user.id}`);
  if (gidMap.length === 0) throw new Error(`userns-remap: ${files.subgid} has no range for ${group.name ?? group.id}`);
  return { uidMap, gidMap, rootUid: uidMap[0]!.outside, rootGid: gidMap[0]!.outside };
}
