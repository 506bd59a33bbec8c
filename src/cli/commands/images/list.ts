// kapal images / kapal image ls: GET /images/json as docker images prints it. An image has a row
// per repository and tag (with --digests, per digest too), `<none>` where it has none; -q prints
// the ID of each row, --format takes json, a template or `table TEMPLATE`, -f filters and the
// optional REPOSITORY[:TAG] argument becomes a reference filter.

import type { Command } from '../../command.js';
import { bool, list, str } from '../../flags.js';
import { ago, humanSize, shortId } from '../../format.js';
import { addFilter, filtersParam, parseFilters } from '../../filters.js';
import { goTimeString } from './go-format.js';
import { printFormatted } from './listing.js';

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const DEFAULT_TABLE_WITH_DIGEST = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

const HEADERS = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** `docker image ls`'s verbs, so that `kapal images ls` (a likely slip) gets a hint. */
const IMAGE_VERBS = new Set(['build', 'history', 'import', 'inspect', 'list', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);

interface Row {
  image: ImageSummary;
  repository: string;
  tag: string;
  digest: string;
}

/** `docker.io/library/busybox` → `busybox`: names as docker shows them. */
function familiar(name: string): string {
  return name.replace(/^docker\.io\/(library\/(?=[^/]+$))?/, '');
}

/** `repo:tag` or `repo@digest` split where docker's reference grammar splits it. */
function splitTag(ref: string): [repository: string, tag: string] | undefined {
  const colon = ref.lastIndexOf(':');
  if (colon <= ref.lastIndexOf('/')) return undefined;
  return [familiar(ref.slice(0, colon)), ref.slice(colon + 1)];
}

function splitDigest(ref: string): [repository: string, digest: string] | undefined {
  const at = ref.indexOf('@');
  return at < 0 ? undefined : [familiar(ref.slice(0, at)), ref.slice(at + 1)];
}

const isDangling = (i: ImageSummary) =>
  ((i.RepoTags ?? []).length === 0 && (i.RepoDigests ?? []).length === 0) ||
  (i.RepoTags?.length === 1 && i.RepoTags[0] === '<none>:<none>' && i.RepoDigests?.length === 1 && i.RepoDigests[0] === '<none>@<none>');

/** docker's imageFormatTaggedAndDigest: the rows of one image. */
function rowsOf(image: ImageSummary, showDigests: boolean, needDigest: boolean): Row[] {
  if (isDangling(image)) return [{ image, repository: '<none>', tag: '<none>', digest: '<none>' }];
  const tags = new Map<string, string[]>();
  const digests = new Map<string, string[]>();
  for (const ref of image.RepoTags ?? []) {
    const split = splitTag(ref);
    if (split) tags.set(split[0], [...(tags.get(split[0]) ?? []), split[1]]);
  }
  for (const ref of image.RepoDigests ?? []) {
    const split = splitDigest(ref);
    if (split) digests.set(split[0], [...(digests.get(split[0]) ?? []), split[1]]);
  }
  const rows: Row[] = [];
  for (const [repository, repoTags] of tags) {
    const repoDigests = needDigest ? (digests.get(repository) ?? []) : [];
    digests.delete(repository);
    for (const tag of repoTags) {
      if (repoDigests.length === 0) rows.push({ image, repository, tag, digest: '<none>' });
      for (const digest of repoDigests) rows.push({ image, repository, tag, digest });
    }
  }
  // Repositories the image is in only by digest (pulled by digest, or its tag moved away).
  for (const [repository, repoDigests] of digests) {
    if (showDigests) for (const digest of repoDigests) rows.push({ image, repository, tag: '<none>', digest });
    else rows.push({ image, repository, tag: '<none>', digest: '' });
  }
  return rows;
}

/** docker's NewImageFormat: the format a table, -q and --digests make. */
function resolveFormat(format: string, quiet: boolean, digests: boolean): string {
  if (format === '' || format === 'table') {
    if (quiet) return '{{.ID}}';
    return digests ? DEFAULT_TABLE_WITH_DIGEST : DEFAULT_TABLE;
  }
  if (format.startsWith('table') && digests && !format.includes('{{.Digest}}')) return `${format}\t{{.Digest}}`;
  return format;
}

function listCommand(calledAs: 'images' | 'image ls'): Command {
  return {
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    flags: {
      all: { short: 'a', help: 'Show all images (default hides intermediate images)' },
      digests: { help: 'Show digests' },
      filter: { short: 'f', arg: 'filter', multi: true, help: 'Filter output based on conditions provided' },
      format: { arg: 'string', help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go-like template" },
      'no-trunc': { help: "Don't truncate output" },
      quiet: { short: 'q', help: 'Only show image IDs' },
    },
    maxArgs: 1,
    async run(ctx, flags, args) {
      const filters = parseFilters(list(flags, 'filter'), '-f, --filter');
      const match = args[0];
      if (match !== undefined && match !== '') addFilter(filters, 'reference', match);
      const query = new URLSearchParams();
      if (bool(flags, 'all')) query.set('all', '1');
      const filterText = filtersParam(filters);
      if (filterText) query.set('filters', filterText);
      const images = await ctx.api.json<ImageSummary[]>('GET', `/images/json${query.toString() ? `?${query}` : ''}`);

      const showDigests = bool(flags, 'digests');
      const format = resolveFormat(str(flags, 'format') ?? '', bool(flags, 'quiet'), showDigests);
      const needDigest = showDigests || format.includes('{{.Digest}}');
      const trunc = !bool(flags, 'no-trunc');
      const rows = images.flatMap((image) => rowsOf(image, showDigests, needDigest));
      printFormatted(rows, format, (r) => fields(r, trunc), HEADERS);

      if (calledAs === 'images' && match !== undefined && images.length === 0 && IMAGE_VERBS.has(match)) {
        process.stderr.write(`\nNo images found matching "${match}": did you mean "kapal image ${match}"?\n`);
      }
      return 0;
    },
  };
}

/** What templates and --format json see of a row: docker's imageContext. */
function fields(r: Row, trunc: boolean): Record<string, unknown> {
  const { image } = r;
  const shared = image.SharedSize ?? -1;
  return {
    ID: trunc ? shortId(image.Id) : image.Id,
    Repository: r.repository,
    Tag: r.tag,
    Digest: r.digest,
    CreatedSince: ago(image.Created),
    CreatedAt: goTimeString(image.Created),
    Size: humanSize(image.Size, 3),
    Containers: image.Containers === undefined || image.Containers === -1 ? 'N/A' : String(image.Containers),
    VirtualSize: humanSize(image.Size),
    SharedSize: shared === -1 ? 'N/A' : humanSize(shared),
    UniqueSize: image.Size === -1 || shared === -1 ? 'N/A' : humanSize(image.Size - shared),
  };
}

export const imagesCommand = listCommand('images');
export const lsCommand = listCommand('image ls');
