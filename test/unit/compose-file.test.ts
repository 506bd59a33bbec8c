// docker-compose.test.yml cannot be run here (no Docker engine), so its structure is checked instead:
// one privileged `test` service that runs the README's test command on the mounted checkout.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const composeFile = path.join(root, 'docker-compose.test.yml');

interface Mount {
  source: string;
  target: string;
}

// Compose accepts volumes as "source:target[:mode]" strings or as { source, target } objects.
function mountOf(entry: unknown): Mount {
  if (typeof entry === 'string') {
    const [source = '', target = ''] = entry.split(':');
    return { source, target };
  }
  const { source, target } = entry as { source?: unknown; target?: unknown };
  return { source: String(source ?? ''), target: String(target ?? '') };
}

// Compose accepts environment as a map or as a list of "KEY=value".
function environmentOf(env: unknown): Record<string, unknown> {
  if (!Array.isArray(env)) return (env ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    env.map((line: string) => {
      const eq = line.indexOf('=');
      return eq < 0 ? [line, undefined] : [line.slice(0, eq), line.slice(eq + 1)];
    }),
  );
}

// parse() throws on YAML errors, duplicate keys included.
const compose = parse(readFileSync(composeFile, 'utf8')) as {
  services?: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown>;
};
const service = compose.services?.test ?? {};
const mounts = ((service.volumes as unknown[] | undefined) ?? []).map(mountOf);

t.test('docker-compose.test.yml defines exactly one service, test', async (tt) => {
  tt.same(Object.keys(compose.services ?? {}), ['test']);
});

t.test('the test service runs privileged in the host cgroup namespace', async (tt) => {
  tt.equal(service.privileged, true, 'privileged: true (namespaces, mounts, nftables)');
  tt.equal(service.cgroup, 'host', 'cgroup: host (kapald nests container cgroups under its own)');
});

t.test('the test service uses a Node 20 Debian image', async (tt) => {
  tt.match(service.image, /^node:20(\.\d+){0,2}-(bullseye|bookworm|trixie)(-slim)?$/);
});

t.test('the checkout is mounted at /src and is the working directory', async (tt) => {
  tt.ok(
    mounts.some((m) => m.source === '.' && m.target === '/src'),
    'the checkout (.) is bind-mounted at /src',
    { mounts },
  );
  tt.equal(service.working_dir, '/src');
});

t.test("node_modules is a named volume, so the host's native build is not reused", async (tt) => {
  const nodeModules = mounts.find((m) => m.target === '/src/node_modules');
  tt.ok(nodeModules, 'something is mounted at /src/node_modules', { mounts });
  if (!nodeModules) return;
  // A named volume's source is a bare name; a bind mount's is a path.
  tt.match(nodeModules.source, /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'its source is a volume name, not a path');
  tt.ok(
    Object.hasOwn(compose.volumes ?? {}, nodeModules.source),
    `volume ${nodeModules.source} is declared under the top-level volumes`,
  );
});

t.test("the test service runs the README's test command with CI=true", async (tt) => {
  const command = typeof service.command === 'string' ? service.command.split(/\s+/) : service.command;
  tt.same(command, ['./bin/run-tests']);
  tt.equal(environmentOf(service.environment).CI, 'true', 'CI is the string "true"');
});
