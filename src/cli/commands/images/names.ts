// Image names in request paths, as the docker client puts them there: `/images/myrepo/bb:v1/json`
// with the slashes, colons and @ of the name kept (kapald's image routes take the rest of the path
// as the name), anything else escaped.

export function imagePath(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}
