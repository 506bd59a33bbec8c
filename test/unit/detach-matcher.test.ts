// The detach-key matcher of TTY attach sessions, as moby's escape proxy: keys count only as reads
// of one byte each; a partial match is passed on, ahead of the read that breaks it.

import t from 'tap';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../src/domain/detach-keys.js';
import { DetachMatcher } from '../../src/service/containers/detach-matcher.js';

/** Feeds the reads; returns what was passed on and after which read it detached (-1: never). */
function run(keys: Buffer, reads: string[]): { passed: string; detachedAt: number } {
  const m = new DetachMatcher(keys);
  let passed = '';
  for (const [i, read] of reads.entries()) {
    const r = m.feed(Buffer.from(read, 'latin1'));
    passed += r.pass.toString('latin1');
    if (r.detach) return { passed, detachedAt: i };
  }
  return { passed, detachedAt: -1 };
}

t.test('ctrl-p then ctrl-q, each a read of its own, detaches', async (t) => {
  t.same(run(DEFAULT_DETACH_KEYS, ['ab', '\x10', '\x11']), { passed: 'ab', detachedAt: 2 });
  t.same(run(DEFAULT_DETACH_KEYS, ['\x10', '\x11', 'never seen']), { passed: '', detachedAt: 1 });
});

t.test('keys read together with other bytes are data, as in moby', async (t) => {
  t.same(run(DEFAULT_DETACH_KEYS, ['\x10\x11']), { passed: '\x10\x11', detachedAt: -1 });
  t.same(run(DEFAULT_DETACH_KEYS, ['a\x10', '\x11']), { passed: 'a\x10\x11', detachedAt: -1 }, 'ctrl-q alone does not start the sequence');
});

t.test('a held key is passed on ahead of the read that breaks the sequence', async (t) => {
  t.same(run(DEFAULT_DETACH_KEYS, ['\x10', 'b']), { passed: '\x10b', detachedAt: -1 });
  t.same(run(DEFAULT_DETACH_KEYS, ['\x10', 'bc']), { passed: '\x10bc', detachedAt: -1 });
  t.same(run(DEFAULT_DETACH_KEYS, ['\x10']), { passed: '', detachedAt: -1 }, 'held while the sequence may still come');
  t.same(run(DEFAULT_DETACH_KEYS, ['\x10', '\x10', '\x11']), { passed: '\x10\x10\x11', detachedAt: -1 }, 'moby does not restart on the breaking byte');
});

t.test('longer and custom sequences', async (t) => {
  const keys = parseDetachKeys('ctrl-a,b,ctrl-c', 'detach');
  t.same([...keys], [1, 0x62, 3]);
  t.same(run(keys, ['x', '\x01', 'b', 'y', '\x01', 'b', '\x03']), { passed: 'x\x01by', detachedAt: 6 });
  t.throws(() => parseDetachKeys('ctrl-xx', 'detach'), { message: 'Invalid detach keys (ctrl-xx) provided' });
  t.throws(() => new DetachMatcher(Buffer.alloc(0)));
});
