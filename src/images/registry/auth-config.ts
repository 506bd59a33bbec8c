// Registry credentials as clients send them in X-Registry-Auth: base64url-encoded JSON of docker's
// AuthConfig. Decoded once at the API edge; the registry client only reads the result.

import { invalidArgument } from '../../domain/errors.js';

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token from a previous login, sent to the token server as refresh_token. */
  identitytoken?: string;
  /** A bearer token to present to the registry as it is. */
  registrytoken?: string;
  serveraddress?: string;
}

const FIELDS = ['username', 'password', 'identitytoken', 'registrytoken', 'serveraddress'] as const;
// Both alphabets: the docker CLI sends base64url, some SDKs standard base64. Padding is optional.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes X-Registry-Auth. An absent header, `e30=` ({}) or `null` mean "no credentials" and give
 * undefined. Keys match case-insensitively, as Go's encoding/json does; a legacy `auth` field
 * (base64 of `user:password`) fills username and password when those are missing.
 */
export function decodeRegistryAuth(header: string | undefined): RegistryAuth | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (!BASE64.test(text)) throw invalidArgument('invalid X-Registry-Auth header: illegal base64 data');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid X-Registry-Auth header: ${(err as Error).message}`);
  }
  if (json === null) return undefined;
  if (typeof json !== 'object' || Array.isArray(json)) {
    throw invalidArgument('invalid X-Registry-Auth header: expected a JSON object');
  }
  const auth: RegistryAuth = {};
  let legacy: string | undefined;
  for (const [key, value] of Object.entries(json)) {
    const name = key.toLowerCase();
    if (name === 'auth' && typeof value === 'string') legacy = value;
    const field = FIELDS.find((f) => f === name);
    if (field === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw invalidArgument(`invalid X-Registry-Auth header: ${key} must be a string`);
    auth[field] = value;
  }
  if (legacy && auth.username === undefined && auth.password === undefined) {
    const pair = Buffer.from(legacy, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon > 0) {
      auth.username = pair.slice(0, colon);
      auth.password = pair.slice(colon + 1);
    }
  }
  return Object.keys(auth).length === 0 ? undefined : auth;
}

/** True when there is anything to authenticate with. */
export function hasCredentials(auth: RegistryAuth | undefined): auth is RegistryAuth {
  return !!auth && !!(auth.registrytoken || auth.identitytoken || (auth.username && auth.password !== undefined));
}
