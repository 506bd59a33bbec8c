// LogConfig: docker's json-file options parsed as moby parses them (go-units sizes, Atoi), moby's
// error words, and the merge of a container's LogConfig with kapald's log-opts and kapal's bound.

import t from 'tap';
import { DEFAULT_LOG_OPTS, effectiveLogConfig, fromHumanSize, logRotation } from '../../src/domain/log-config.js';

t.test('sizes as go-units FromHumanSize reads them: decimal units, optional b/ib, a fraction', async (t) => {
  const cases: [string, number][] = [
    ['10m', 10_000_000], ['1g', 1_000_000_000], ['500k', 500_000], ['500K', 500_000], ['2kb', 2000], ['2KiB', 2000],
    ['1.5m', 1_500_000], ['10 MB', 10_000_000], ['123', 123], ['7b', 7], ['0', 0],
  ];
  for (const [text, bytes] of cases) t.equal(fromHumanSize(text), bytes, text);
  t.throws(() => fromHumanSize('abc'), { message: "invalid size: 'abc'" });
  t.throws(() => fromHumanSize('10x'), { message: "invalid suffix: 'x'" });
  t.throws(() => fromHumanSize('10mbb'), { message: "invalid suffix: 'mbb'" });
  t.throws(() => fromHumanSize('-5m'), { message: "invalid size: '-5m'" });
  t.throws(() => fromHumanSize('1.2.3m'), { message: 'strconv.ParseFloat: parsing "1.2.3": invalid syntax' });
});

t.test('rotation from a LogConfig, and moby\'s words for what it refuses', async (t) => {
  const json = (Config: Record<string, string>) => ({ Type: 'json-file', Config });
  t.same(logRotation(json({})), { maxSize: 0, maxFile: 1 }, 'docker\'s own default: unbounded');
  t.same(logRotation(json({ 'max-size': '10m', 'max-file': '3' })), { maxSize: 10_000_000, maxFile: 3 });
  t.same(logRotation(json({ 'max-size': '-1' })), { maxSize: 0, maxFile: 1 }, '-1: unbounded, docker\'s documented default');
  t.same(logRotation(json({ mode: 'non-blocking', 'max-buffer-size': '4m', compress: 'false' })), { maxSize: 0, maxFile: 1 });
  t.same(logRotation({ Type: 'none', Config: { anything: 'x' } }), { maxSize: 0, maxFile: 1 }, 'none takes any option, as in moby');
  const refused: [Record<string, string>, string][] = [
    [{ 'max-size': '0' }, 'max-size must be a positive number'],
    [{ 'max-file': '0' }, 'max-file cannot be less than 1'],
    [{ 'max-file': '1.5' }, 'strconv.Atoi: parsing "1.5": invalid syntax'],
    [{ tag: '{{.Name}}' }, "log opt 'tag' for json-file log driver is not supported by kapal"],
    [{ 'max-sise': '1m' }, "unknown log opt 'max-sise' for json-file log driver"],
    [{ mode: 'fast' }, 'logger: logging mode not supported: fast'],
    [{ 'max-buffer-size': '1m' }, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"],
    [{ mode: 'non-blocking', 'max-buffer-size': 'lots' }, "error parsing option max-buffer-size: invalid size: 'lots'"],
    [{ compress: 'yes' }, 'strconv.ParseBool: parsing "yes": invalid syntax'],
  ];
  for (const [config, message] of refused) t.throws(() => logRotation(json(config)), { kind: 'InvalidArgument', message }, JSON.stringify(config));
  t.throws(() => logRotation({ Type: 'journald', Config: {} }), { kind: 'InvalidArgument', message: /no log driver named 'journald'/ });
});

t.test('effective LogConfig: the request, then kapald\'s log-opts for its driver, then kapal\'s bound', async (t) => {
  const plain = { Type: 'json-file', Config: {} };
  t.same(effectiveLogConfig(undefined, plain), { Type: 'json-file', Config: DEFAULT_LOG_OPTS });
  t.same(effectiveLogConfig({ Type: '', Config: null }, plain), { Type: 'json-file', Config: DEFAULT_LOG_OPTS });
  t.same(effectiveLogConfig({ Config: { 'max-file': '3' } }, plain), { Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } });
  t.same(effectiveLogConfig({ Config: { 'max-size': '1m' } }, plain).Config, { 'max-size': '1m' }, 'a max-size given: nothing added');
  const daemon = { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '2' } };
  t.same(effectiveLogConfig({ Config: { 'max-file': '9' } }, daemon).Config, { 'max-file': '9', 'max-size': '20m' });
  t.same(effectiveLogConfig({ Type: 'none' }, daemon), { Type: 'none', Config: {} }, 'another driver: no json-file options');
  t.same(effectiveLogConfig(undefined, { Type: 'none', Config: {} }), { Type: 'none', Config: {} });
  t.throws(() => effectiveLogConfig({ Config: { 'max-file': 'x' } }, daemon), { kind: 'InvalidArgument' });
});
