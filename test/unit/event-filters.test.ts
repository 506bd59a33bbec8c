// GET /events filters: both JSON forms parse to the same map, unknown keys are refused with
// moby's wording, and matching follows moby's daemon/events/filter.go. Also the time parameters.

import t from 'tap';
import { parseFilters, timeParam, unixNanos } from '../../src/api/query.js';
import { checkEventFilters, eventMatches, type FilterableEvent } from '../../src/service/event-filters.js';

const die: FilterableEvent = {
  type: 'container',
  action: 'die',
  actorId: 'a1b2c3d4'.repeat(8),
  attributes: { exitCode: '3', image: 'busybox:1.36', name: 'web', tier: 'front', empty: '' },
};
const tag: FilterableEvent = { type: 'image', action: 'tag', actorId: 'sha256:beef', attributes: { name: 'myrepo/app:v1' } };
const exec: FilterableEvent = { ...die, action: 'exec_start: sh -c true', attributes: { ...die.attributes, execID: 'e1' } };

const match = (e: FilterableEvent, json: string) => {
  const f = parseFilters(json);
  checkEventFilters(f);
  return eventMatches(e, f);
};

t.test('the map form and the list form mean the same filters', async (t) => {
  t.same(parseFilters('{"type":{"container":true,"image":true}}'), parseFilters('{"type":["container","image"]}'));
  t.same([...parseFilters('{"type":{"container":true,"image":false}}')], [['type', ['container']]], 'a false value is not a filter value');
  t.same([...parseFilters('')], []);
  t.throws(() => parseFilters('{"type":'), /invalid filter/);
  t.throws(() => parseFilters('{"type":"container"}'), /invalid filter 'type'/);
});

t.test('unknown keys are refused as moby does; every key moby knows is accepted', async (t) => {
  t.throws(() => checkEventFilters(parseFilters('{"colour":["red"]}')), { message: "invalid filter 'colour'", kind: 'InvalidArgument' });
  for (const key of ['type', 'event', 'container', 'image', 'label', 'scope', 'daemon', 'network', 'volume', 'plugin', 'node', 'service', 'secret', 'config']) {
    t.doesNotThrow(() => checkEventFilters(new Map([[key, ['x']]])), key);
  }
});

t.test('type and event match exactly; values of one key are alternatives, keys must all match', async (t) => {
  t.ok(match(die, '{}'), 'no filter matches everything');
  t.ok(match(die, '{"type":["container"]}'));
  t.notOk(match(tag, '{"type":["container"]}'));
  t.ok(match(tag, '{"type":["container","image"]}'));
  t.ok(match(die, '{"event":{"start":true,"die":true}}'));
  t.notOk(match(die, '{"event":["di"]}'), 'no prefix match on ordinary actions');
  t.notOk(match(die, '{"type":["container"],"event":["start"]}'));
  t.ok(match(exec, '{"event":["exec_start"]}'), 'exec_start matches "exec_start: <cmd>"');
  t.notOk(match(exec, '{"event":["exec_create"]}'));
  t.ok(match(die, '{"scope":["local"]}'));
  t.notOk(match(die, '{"scope":["swarm"]}'));
});

t.test('container matches an ID prefix or a name prefix, and leaves out other objects', async (t) => {
  t.ok(match(die, '{"container":["web"]}'));
  t.ok(match(die, '{"container":["a1b2c3"]}'));
  t.ok(match(die, `{"container":["${die.actorId}"]}`));
  t.notOk(match(die, '{"container":["other"]}'));
  t.notOk(match(tag, '{"container":["web"]}'), 'an image event is not about container web');
  t.notOk(match(die, '{"network":["web2"]}'));
});

t.test('image matches the image of a container event, or the image of an image event, with or without its tag', async (t) => {
  t.ok(match(die, '{"image":["busybox:1.36"]}'));
  t.ok(match(die, '{"image":["busybox"]}'), 'the tag stripped');
  t.notOk(match(die, '{"image":["busy"]}'));
  t.ok(match(tag, '{"image":["myrepo/app"]}'));
  t.ok(match(tag, '{"image":["sha256:beef"]}'));
  t.notOk(match(tag, '{"image":["busybox"]}'));
});

t.test('label matches a key, or key=value, against the attributes; all of them must match', async (t) => {
  t.ok(match(die, '{"label":["tier"]}'));
  t.ok(match(die, '{"label":["tier=front"]}'));
  t.ok(match(die, '{"label":["empty="]}'));
  t.notOk(match(die, '{"label":["tier=back"]}'));
  t.notOk(match(die, '{"label":["tier=front","missing"]}'));
  t.notOk(match(tag, '{"label":["tier"]}'));
});

t.test('times: unix seconds, seconds.nanos and RFC 3339 become exact nanoseconds', async (t) => {
  t.equal(unixNanos(undefined, 'since'), undefined);
  t.equal(unixNanos('', 'since'), undefined);
  t.equal(unixNanos('1704067200', 'since'), 1_704_067_200_000_000_000n);
  t.equal(unixNanos('1704067200.000000001', 'since'), 1_704_067_200_000_000_001n);
  t.equal(unixNanos('1704067200.5', 'since'), 1_704_067_200_500_000_000n, 'a short fraction is a decimal fraction');
  t.equal(unixNanos('2024-01-01T00:00:00Z', 'until'), 1_704_067_200_000_000_000n);
  t.equal(unixNanos('2024-01-01T01:00:00.25+01:00', 'until'), 1_704_067_200_250_000_000n);
  t.throws(() => unixNanos('yesterday', 'since'), { message: 'invalid value for since: yesterday', kind: 'InvalidArgument' });
  t.equal(timeParam('0', 'since'), 0, 'logs: 0 means no limit');
  t.equal(timeParam('1704067200.5', 'since'), 1_704_067_200_500);
});
