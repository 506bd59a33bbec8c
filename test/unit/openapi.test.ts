// openapi.yaml against the API as built: the routes the real app registers and the operations the
// document lists must be the same set, and the schemas of /version, /info and the create body must
// match what the code returns and validates. Also the rules readers and tooling rely on
// (operationIds, error responses, resolvable $refs).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { containerCreateSchema, hostConfigSchema } from '../../src/api/schemas/container-config.js';
import { API_VERSION, MIN_API_VERSION } from '../../src/domain/api-version.js';
import { startApi } from '../helpers/api.js';
import { ROOT } from '../helpers/daemon.js';
import { request } from '../helpers/http.js';

type Json = any;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const EVERY_RESPONSE_HEADERS = ['Api-Version', 'Ostype', 'Docker-Experimental', 'Server'];
const ERROR_SCHEMA = '#/components/schemas/ErrorResponse';

/**
 * fastify's path syntax → OpenAPI's: `:id` → `{id}` (a regex constraint `:id(^\d+$)` is
 * dropped), `::` (fastify's escaped colon) → a literal `:`, the trailing wildcard `*` → `{name}`.
 */
export function openApiPath(url: string): string {
  const literalColon = '\u0000';
  return url
    .replaceAll('::', literalColon)
    .replace(/:(\w+)(\([^)]*\))?/g, '{$1}')
    .replace(/\*$/, '{name}')
    .replaceAll(literalColon, ':');
}

function readDocument(): Json {
  return parse(readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8'));
}

interface Operation {
  key: string;
  path: string;
  method: string;
  op: Json;
  pathItem: Json;
}

function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [p, pathItem] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of METHODS) {
      if (pathItem[method]) out.push({ key: `${method.toUpperCase()} ${p}`, path: p, method, op: pathItem[method], pathItem });
    }
  }
  return out;
}

/** Resolves a local JSON pointer (`#/components/...`); undefined when it points nowhere. */
function resolvePointer(doc: Json, ref: string): Json {
  if (!ref.startsWith('#/')) return undefined;
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

function deref(doc: Json, node: Json): Json {
  while (node && typeof node.$ref === 'string') node = resolvePointer(doc, node.$ref);
  return node;
}

function allRefs(node: Json, where = '#', out: { where: string; ref: string }[] = []) {
  if (Array.isArray(node)) node.forEach((n, i) => allRefs(n, `${where}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push({ where, ref: v });
      else allRefs(v, `${where}/${k}`, out);
    }
  }
  return out;
}

/**
 * Checks a response body against its schema as a closed shape: a field returned but not
 * documented, or documented but not returned, is a problem (kapal's response schemas promise
 * every listed field). Supports the subset openapi.yaml uses: type (lists too), const, enum,
 * properties, additionalProperties, items, $ref, oneOf.
 */
function shapeProblems(doc: Json, value: unknown, schemaIn: Json, where: string, out: string[] = []): string[] {
  const schema = deref(doc, schemaIn);
  if (schema.oneOf) {
    const fits = (schema.oneOf as Json[]).filter((s) => shapeProblems(doc, value, s, where).length === 0);
    if (fits.length !== 1) out.push(`${where}: matches ${fits.length} of oneOf`);
    return out;
  }
  const actual =
    value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  const types: string[] | undefined = schema.type === undefined ? undefined : [schema.type].flat();
  if (types && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
    out.push(`${where}: returned ${actual}, documented as ${types.join(' or ')}`);
    return out;
  }
  if ('const' in schema && value !== schema.const) out.push(`${where}: returned ${JSON.stringify(value)}, documented const ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) out.push(`${where}: ${JSON.stringify(value)} is not in the documented enum`);
  if (actual === 'object') {
    const record = value as Record<string, unknown>;
    const props: Record<string, Json> = schema.properties ?? {};
    for (const [key, v] of Object.entries(record)) {
      if (key in props) shapeProblems(doc, v, props[key], `${where}.${key}`, out);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        shapeProblems(doc, v, schema.additionalProperties, `${where}.${key}`, out);
      } else if (schema.additionalProperties !== true) out.push(`${where}.${key} is returned but not documented`);
    }
    for (const key of Object.keys(props)) if (!(key in record)) out.push(`${where}.${key} is documented but not returned`);
  }
  if (actual === 'array' && schema.items) (value as unknown[]).forEach((v, i) => shapeProblems(doc, v, schema.items, `${where}[${i}]`, out));
  return out;
}

const doc = readDocument();
const { api, socket } = await startApi(t, 'openapi');

/** "METHOD /openapi/path" for every route served, minus the HEAD routes fastify adds by itself. */
function servedKeys(): string[] {
  const routes = api.routes.map((r) => ({ method: r.method, path: openApiPath(r.url) }));
  // initialConfig carries exposeHeadRoutes at run time; fastify's types leave it out.
  const implicitHead = (api.app.initialConfig as { exposeHeadRoutes?: boolean }).exposeHeadRoutes === true;
  const documented = new Set(operations(doc).map((o) => o.key));
  return routes
    .filter((r) => {
      if (!implicitHead || r.method !== 'HEAD') return true;
      const hasGet = routes.some((g) => g.method === 'GET' && g.path === r.path);
      return !hasGet || documented.has(`HEAD ${r.path}`);
    })
    .map((r) => `${r.method} ${r.path}`);
}

t.test('fastify route paths become OpenAPI path templates, parameters and wildcards included', async (t) => {
  t.equal(openApiPath('/_ping'), '/_ping');
  t.equal(openApiPath('/containers/:id/json'), '/containers/{id}/json');
  t.equal(openApiPath('/images/*'), '/images/{name}');
  t.equal(openApiPath('/networks/:id(^[a-z0-9]+$)/connect'), '/networks/{id}/connect');
  t.equal(openApiPath('/a/:from-:to'), '/a/{from}-{to}');
  t.equal(openApiPath('/plugins/name::verb'), '/plugins/name:verb');
});

t.test('openapi.yaml is OpenAPI 3.1 and describes this kapal version and API version range', async (t) => {
  t.match(doc.openapi, /^3\.1\.\d+$/);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  t.equal(doc.info.version, pkg.version, 'info.version is the package version');
  t.match(doc.info.description, `${MIN_API_VERSION} ≤ version ≤ ${API_VERSION}`);
  const apiVersion = deref(doc, doc.components.headers['Api-Version']);
  t.equal(apiVersion.schema.const, API_VERSION, 'the Api-Version header is the served API version');
});

t.test('every route kapald serves is documented in openapi.yaml', async (t) => {
  t.ok(api.routes.length > 0, 'the app registered routes');
  const documented = new Set(operations(doc).map((o) => o.key));
  const missing = servedKeys().filter((k) => !documented.has(k));
  t.same(missing, [], 'served but missing from openapi.yaml');
});

t.test('every operation in openapi.yaml is served by kapald', async (t) => {
  const served = new Set(servedKeys());
  const notServed = operations(doc)
    .map((o) => o.key)
    .filter((k) => !served.has(k));
  t.same(notServed, [], 'in openapi.yaml but not served');
});

t.test('every operation has an operationId, and no two share one', async (t) => {
  const ops = operations(doc);
  t.same(ops.filter((o) => typeof o.op.operationId !== 'string' || o.op.operationId === '').map((o) => o.key), [], 'without operationId');
  const ids = ops.map((o) => o.op.operationId);
  t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'duplicate operationIds');
});

t.test('every operation except /_ping documents an error answer with the ErrorResponse schema', async (t) => {
  const without = operations(doc)
    .filter((o) => o.path !== '/_ping')
    .filter((o) => {
      const errors = Object.entries<Json>(o.op.responses ?? {}).filter(([code]) => /^[45](\d\d|XX)$/.test(code));
      return !errors.some(([, r]) => deref(doc, r)?.content?.['application/json']?.schema?.$ref === ERROR_SCHEMA);
    })
    .map((o) => o.key);
  t.same(without, [], 'operations without a 4xx/5xx ErrorResponse');
});

t.test('every $ref in openapi.yaml resolves inside the document', async (t) => {
  const refs = allRefs(doc);
  t.ok(refs.length > 0);
  t.same(refs.filter((r) => resolvePointer(doc, r.ref) === undefined).map((r) => `${r.where}: ${r.ref}`), [], 'dangling $refs');
});

t.test('every path template parameter is declared as a required path parameter', async (t) => {
  const problems: string[] = [];
  for (const o of operations(doc)) {
    const params = [...(o.pathItem.parameters ?? []), ...(o.op.parameters ?? [])].map((p: Json) => deref(doc, p));
    for (const [, name] of o.path.matchAll(/\{([^}]+)\}/g)) {
      const p = params.find((q: Json) => q.in === 'path' && q.name === name);
      if (!p || p.required !== true) problems.push(`${o.key}: {${name}}`);
    }
  }
  t.same(problems, []);
});

t.test('every documented response lists the headers kapald puts on every response', async (t) => {
  const problems: string[] = [];
  for (const o of operations(doc)) {
    for (const [code, r] of Object.entries<Json>(o.op.responses ?? {})) {
      const headers = deref(doc, r).headers ?? {};
      for (const h of EVERY_RESPONSE_HEADERS) if (!headers[h]) problems.push(`${o.key} ${code}: ${h}`);
    }
  }
  t.same(problems, []);
});

t.test('the /version and /info schemas list exactly the fields kapald returns, with their types', async (t) => {
  for (const [url, schema] of [
    ['/version', 'SystemVersion'],
    ['/info', 'SystemInfo'],
  ] as const) {
    const res = await request(socket, 'GET', url);
    t.equal(res.status, 200, url);
    t.same(shapeProblems(doc, res.json(), { $ref: `#/components/schemas/${schema}` }, schema), [], `${url} against ${schema}`);
  }
});

t.test('error answers have the documented ErrorResponse shape', async (t) => {
  const res = await request(socket, 'GET', '/no-such-route');
  t.equal(res.status, 404);
  t.equal(res.headers['content-type'], 'application/json');
  t.same(shapeProblems(doc, res.json(), { $ref: ERROR_SCHEMA }, 'ErrorResponse'), []);
});

t.test('ContainerCreateRequest documents exactly the body fields the create route validates', async (t) => {
  const schemas = doc.components.schemas;
  t.same(Object.keys(schemas.ContainerCreateRequest.properties).sort(), Object.keys(containerCreateSchema.shape).sort());
  t.same(Object.keys(schemas.HostConfig.properties).sort(), Object.keys(hostConfigSchema.shape).sort(), 'HostConfig');
  t.same(schemas.ContainerCreateRequest.required, ['Image']);
  t.equal(schemas.ContainerCreateRequest.additionalProperties, true, 'unknown fields are accepted, as moby does');
});
