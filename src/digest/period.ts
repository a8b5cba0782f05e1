// The period a digest belongs to, computed from the time the scheduler meant to fire, read in the
// subscription's time zone. Two firings for the same period (a scheduler fired twice, a job
// retried after a restart, a duplicate on another worker) get the same key, so only one of them
// can claim it. Weekly digests count ISO weeks: a re-subscription that moves Monday to Friday
// does not give the channel a second digest that week.
import type { Schedule } from './schedule.ts';

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `ms` in the zone `tz`. */
export function localTime(ms: number, tz: string): LocalTime {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
  };
}

const DAY_MS = 86_400_000;

/** ISO 8601 week of a calendar date: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = date + (3 - weekday) * DAY_MS;
  const isoYear = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(isoYear, 0, 1)) / (7 * DAY_MS));
  return { year: isoYear, week };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2026-W49" for weekly schedules; "2026-11-30T09:00:05" (local time) for each firing of a custom one. */
export function periodKey(scheduledMs: number, schedule: Pick<Schedule, 'tz' | 'period'>): string {
  const t = localTime(scheduledMs, schedule.tz);
  if (schedule.period === 'week') {
    const w = isoWeek(t.year, t.month, t.day);
    return `${w.year}-W${pad(w.week)}`;
  }
  return `${t.year}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

/** "Mon 30 Nov 2026, 09:00 (Europe/Berlin)" */
export function describeTime(ms: number, tz: string): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(ms));
  return `${text} (${tz})`;
}
