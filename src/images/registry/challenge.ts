// WWW-Authenticate challenges (RFC 7235) as registries send them:
// `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`
// or `Basic realm="Registry Realm"`, possibly several in one header. Pure text, no I/O.

export interface Challenge {
  /** Lowercase: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  return headers.flatMap(parseOne);
}

function parseOne(text: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < text.length && TOKEN_CHAR.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  // Unquoted values should be tokens, but some servers send URLs bare: read up to the next separator.
  const bare = () => {
    const start = i;
    while (i < text.length && !/[\s,]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const quoted = () => {
    let value = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i];
      i++;
    }
    i++; // closing quote
    return value;
  };
  let current: Challenge | undefined;
  while (i < text.length) {
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === '') {
      i++; // an unexpected character: skip it rather than loop
      continue;
    }
    skipSpace();
    if (text[i] === '=') {
      i++;
      skipSpace();
      const value = text[i] === '"' ? quoted() : bare();
      // A parameter before any scheme is malformed: dropped.
      if (current !== undefined) current.params[name.toLowerCase()] = value;
      continue;
    }
    // A token not followed by `=` starts a new challenge (token68 credentials are not used by registries).
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** The bearer challenge if there is one, else the basic one. */
export function preferredChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
