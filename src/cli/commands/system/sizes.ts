// go-units' HumanSize as docker prints reclaimed space and disk usage: four significant digits and
// a decimal unit (4.262MB). format.ts's humanSize is the three-digit variant that docker ps uses.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(4))}${UNITS[unit]}`;
}
