// Digest schedules, period keys and content, without Redis: weekday/time/zone parsing with
// errors that name the option, ISO weeks across year ends and time zones, and a digest entry for
// every catalog post whose try-it command validates against its analysis.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANALYSES } from '../../src/analyses/index.ts';
import { parseOptions } from '../../src/analyses/options.ts';
import { POSTS } from '../../src/catalog/posts.ts';
import { composeDigest, tryItFor, typedOptions } from '../../src/digest/compose.ts';
import { DIGEST_CONTENT, ROTATION } from '../../src/digest/content.ts';
import { isoWeek, periodKey } from '../../src/digest/period.ts';
import { customSchedule, parseTimeOfDay, parseTimeZone, parseWeekday, weeklySchedule } from '../../src/digest/schedule.ts';

test('weekdays, times and zones parse leniently and fail naming the option', () => {
  assert.equal(parseWeekday('Mon'), 'monday');
  assert.equal(parseWeekday('friday'), 'friday');
  assert.throws(() => parseWeekday('someday'), /^OptionError: day: "someday" is not a weekday/);
  assert.deepEqual(parseTimeOfDay('09:00'), { hour: 9, minute: 0 });
  assert.deepEqual(parseTimeOfDay('18h30'), { hour: 18, minute: 30 });
  assert.deepEqual(parseTimeOfDay('6:15 pm'), { hour: 18, minute: 15 });
  assert.deepEqual(parseTimeOfDay('12am'), { hour: 0, minute: 0 });
  for (const bad of ['24:00', '9:60', 'noon', '13pm']) assert.throws(() => parseTimeOfDay(bad), /time: .* HH:MM on a 24-hour clock/, bad);
  assert.equal(parseTimeZone('europe/berlin'), 'Europe/Berlin');
  assert.equal(parseTimeZone('UTC'), 'UTC');
  assert.throws(() => parseTimeZone('Mars/Olympus_Mons'), /timezone: "Mars\/Olympus_Mons" is not an IANA time zone/);
});

test('a weekly schedule is a cron pattern in the subscriber\'s zone', () => {
  const s = weeklySchedule('friday', { hour: 18, minute: 30 }, 'Europe/Berlin');
  assert.deepEqual(s, { pattern: '30 18 * * 5', tz: 'Europe/Berlin', period: 'week', label: 'Fridays at 18:30 (Europe/Berlin)' });
  assert.equal(customSchedule('*/2 * * * * *', 'UTC').period, 'slot');
});

test('ISO weeks: Monday starts the week, week 1 holds the first Thursday', () => {
  assert.deepEqual(isoWeek(2026, 1, 1), { year: 2026, week: 1 }); // a Thursday
  assert.deepEqual(isoWeek(2027, 1, 1), { year: 2026, week: 53 }); // a Friday: still 2026's last week
  assert.deepEqual(isoWeek(2024, 12, 30), { year: 2025, week: 1 }); // a Monday in 2025's week 1
  assert.deepEqual(isoWeek(2026, 11, 30), { year: 2026, week: 49 });
  assert.deepEqual(isoWeek(2026, 12, 6), { year: 2026, week: 49 }); // Sunday ends the same week
});

test('the period comes from the scheduled time read in the subscription\'s zone', () => {
  // Sunday 23:30 UTC is already Monday 08:30 in Tokyo: a different ISO week.
  const t = Date.UTC(2026, 10, 29, 23, 30);
  assert.equal(periodKey(t, { tz: 'UTC', period: 'week' }), '2026-W48');
  assert.equal(periodKey(t, { tz: 'Asia/Tokyo', period: 'week' }), '2026-W49');
  // Two firings of the same week (a scheduler fired twice, or moved from Monday to Friday) share a key.
  assert.equal(periodKey(Date.UTC(2026, 10, 30, 9), { tz: 'UTC', period: 'week' }), periodKey(Date.UTC(2026, 11, 4, 18), { tz: 'UTC', period: 'week' }));
  // Custom patterns count each firing.
  assert.equal(periodKey(Date.UTC(2026, 10, 30, 9, 0, 4), { tz: 'Europe/Berlin', period: 'slot' }), '2026-11-30T10:00:04');
});

test('every catalog post has digest content, and the rotation covers the whole catalog once', () => {
  assert.deepEqual([...ROTATION].sort(), POSTS.map((p) => p.id).sort());
  for (const p of POSTS) {
    const c = DIGEST_CONTENT[p.id];
    assert.ok(c, `digest content for ${p.id}`);
    assert.match(c.question, /\?$/, `${p.id}: the question is a question`);
    if (!p.hasAnalysis) assert.equal(c.tryIt, undefined, `${p.id} has no command to try`);
  }
});

test('each registered analysis\'s try-it options validate, and differ from its defaults', () => {
  const checked: string[] = [];
  for (const a of ANALYSES) {
    const tryIt = DIGEST_CONTENT[a.id]?.tryIt;
    if (!tryIt) continue;
    const parsed = parseOptions(a.options, tryIt.options) as Record<string, unknown>;
    const defaults = parseOptions(a.options, {}) as Record<string, unknown>;
    assert.ok(Object.keys(tryIt.options).some((k) => JSON.stringify(parsed[k]) !== JSON.stringify(defaults[k])), `${a.id}: try-it changes something`);
    checked.push(a.id);
  }
  assert.ok(checked.includes('correlation') && checked.includes('fourier'), `checked ${checked.join(', ')}`);
});

test('try-it commands are written the way each platform types them; no command, no try-it', () => {
  const correlation = POSTS.find((p) => p.id === 'correlation')!;
  assert.equal(tryItFor(correlation, 'discord')!.command, '/correlation offset:0');
  assert.equal(tryItFor(correlation, 'slack')!.command, '/lab correlation offset:0');
  assert.equal(typedOptions({ text: 'To be, or not', n: 3 }), 'text:"To be, or not" n:3');
  // An analysis whose schema no longer accepts the option: the bare command, not an error.
  const renamed = [{ ...ANALYSES.find((a) => a.id === 'correlation')!, options: ANALYSES.find((a) => a.id === 'fourier')!.options }];
  assert.equal(tryItFor(correlation, 'web', renamed)!.command, '/correlation');
  const noCommand = POSTS.find((p) => !p.hasAnalysis)!;
  assert.equal(tryItFor(noCommand, 'web'), undefined);
  const d = composeDigest({ id: 'digest:web:s1:2026-W49', post: noCommand, period: '2026-W49', platform: 'web', rotation: { index: 11, total: POSTS.length }, headline: { note: 'no figure' } });
  assert.equal(d.figure, undefined);
  assert.equal(d.tryIt, undefined);
  assert.equal(d.post.notebookUrl.startsWith('https://github.com/mikexcohen/Substack/blob/main/'), true);
});
