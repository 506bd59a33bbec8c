// The few pieces of the DNS wire format (RFC 1035) the embedded server needs: read a query's header and first
// question, and build its own small answers. Forwarded messages stay opaque bytes; only their ID is rewritten.

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;

const HEADER_BYTES = 12;
/** Without EDNS a UDP answer may not exceed this (RFC 1035 §4.2.1); our answers carry no EDNS, so it always applies. */
const UDP_LIMIT = 512;
const ANSWER_TTL = 600;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;

export interface DnsQuery {
  id: number;
  opcode: number;
  /** The question count from the header; only the first question is parsed. */
  questions: number;
  /** Lower-cased, without the trailing dot; a literal dot inside a label is escaped as `\.` so it never matches. */
  name: string;
  type: number;
  klass: number;
  /** The header and first question exactly as received: answers echo them, so the client's letter case survives. */
  raw: Buffer;
}

/** The query in `msg`, or undefined for anything that is not a well-formed query with at least one question. */
export function parseQuery(msg: Buffer): DnsQuery | undefined {
  if (msg.length < HEADER_BYTES) return undefined;
  const flags = msg.readUInt16BE(2);
  const questions = msg.readUInt16BE(4);
  if (flags & FLAG_QR || questions === 0) return undefined;
  const labels: string[] = [];
  let at = HEADER_BYTES;
  for (;;) {
    const len = msg[at];
    // Compression pointers (or the reserved 0x40/0x80 forms) cannot appear in a first question: nothing precedes it.
    if (len === undefined || len > 63) return undefined;
    at += 1;
    if (len === 0) break;
    if (at + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', at, at + len).replaceAll('.', '\\.'));
    at += len;
  }
  if (at - HEADER_BYTES > 255 || at + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    opcode: (flags >> 11) & 0xf,
    questions,
    name: labels.join('.').toLowerCase(),
    type: msg.readUInt16BE(at),
    klass: msg.readUInt16BE(at + 2),
    raw: msg.subarray(0, at + 4),
  };
}

/** An A record for the question's name (via a pointer to it at offset 12). */
export function aRecord(address: string): Buffer {
  const octets = address.split('.').map(Number);
  return record(TYPE_A, Buffer.from(octets));
}

/** A PTR record pointing at `target`, or undefined when `target` cannot be a DNS name. */
export function ptrRecord(target: string): Buffer | undefined {
  const name = encodeName(target);
  return name && record(TYPE_PTR, name);
}

/**
 * The reply to `q` with `answers`. Over UDP, answers that would pass 512 bytes are dropped and TC is set, so
 * the client retries over TCP rather than taking a partial list as complete.
 */
export function buildReply(q: DnsQuery, rcode: number, answers: Buffer[], udp: boolean): Buffer {
  const question = q.raw.subarray(HEADER_BYTES);
  let kept = answers;
  let truncated = false;
  if (udp) {
    let size = HEADER_BYTES + question.length;
    const fit = answers.findIndex((a) => (size += a.length) > UDP_LIMIT);
    if (fit >= 0) [kept, truncated] = [answers.slice(0, fit), true];
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(q.id, 0);
  const rd = q.raw.readUInt16BE(2) & FLAG_RD;
  // AA because these names exist nowhere else; never on SERVFAIL, which speaks for the upstreams, not for us.
  const aa = rcode === RCODE_NOERROR ? FLAG_AA : 0;
  header.writeUInt16BE(FLAG_QR | aa | (truncated ? FLAG_TC : 0) | rd | FLAG_RA | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(kept.length, 6);
  return Buffer.concat([header, question, ...kept]);
}

/** The IPv4 address that `d.c.b.a.in-addr.arpa` asks about, or undefined for any other name. */
export function ptrAddress(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number).reverse();
  return octets.every((o) => o <= 255) ? octets.join('.') : undefined;
}

/** A copy of `msg` carrying transaction `id`. */
export function withId(msg: Buffer, id: number): Buffer {
  const copy = Buffer.from(msg);
  copy.writeUInt16BE(id, 0);
  return copy;
}

/** The transaction ID of a response, or undefined when `msg` is too short or not a response. */
export function responseId(msg: Buffer): number | undefined {
  if (msg.length < HEADER_BYTES || !(msg.readUInt16BE(2) & FLAG_QR)) return undefined;
  return msg.readUInt16BE(0);
}

function record(type: number, rdata: Buffer): Buffer {
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc000 | HEADER_BYTES, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(ANSWER_TTL, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([rr, rdata]);
}

function encodeName(name: string): Buffer | undefined {
  const labels = name.replace(/\.$/, '').split('.').map((l) => Buffer.from(l, 'utf8'));
  if (labels.some((l) => l.length === 0 || l.length > 63)) return undefined;
  const wire = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  return wire.length <= 255 ? wire : undefined;
}
