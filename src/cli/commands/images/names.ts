// Image names in request paths, as the docker client puts them there: `/images/myrepo/bb:v1/json`
// with the slashes, colons and @ of the name kept (kapald's image routes take the rest of the path
// as the name), anything else escaped.

export function imagePath(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

/**
 * The reference pull and push work on, as the docker client resolves it: a name without tag or
 * digest means `latest` ("Using default tag: latest" unless quiet), or every tag with -a, which
 * refuses a tag.
 */
export async function repositoryReference(name: string, all: boolean, quiet: boolean) {
  const { parseReference, withDefaultTag } = await import('../../../images/reference.js');
  const ref = parseReference(name);
  const nameOnly = ref.tag === undefined && ref.digest === undefined;
  if (all && !nameOnly) throw new Error("tag can't be used with --all-tags/-a");
  if (all || !nameOnly) return ref;
  const tagged = withDefaultTag(ref);
  if (!quiet) process.stdout.write(`Using default tag: ${tagged.tag}\n`);
  return tagged;
}
