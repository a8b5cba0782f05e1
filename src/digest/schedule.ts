// When a channel's digest comes: a weekday, a time of day and an IANA time zone, turned into the
// cron pattern a BullMQ job scheduler fires in that zone. DIGEST_CRON replaces the weekly
// pattern everywhere (tests, demos); such a schedule's period is each firing ("slot") instead
// of the week.
import { z } from 'zod';
import { OptionError } from '../analyses/types.ts';

/** Cron day-of-week numbers: 0 = Sunday. */
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const DEFAULT_DAY: Weekday = 'monday';
export const DEFAULT_TIME = '09:00';
export const DEFAULT_TIMEZONE = 'UTC';

export const ScheduleSchema = z.object({
  /** Cron pattern (5 fields, or 6 with seconds first). */
  pattern: z.string().min(1),
  /** IANA time zone the pattern is read in. */
  tz: z.string().min(1),
  /** What "one digest per period" counts: ISO weeks, or each firing of a custom pattern. */
  period: z.enum(['week', 'slot']),
  /** "Mondays at 09:00 (Europe/Berlin)" */
  label: z.string(),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

/** Monday, mon, Mon. → 'monday' */
export function parseWeekday(text: string): Weekday {
  const t = text.trim().toLowerCase().replace(/\.$/, '');
  const day = WEEKDAYS.find((d) => d === t || (t.length >= 3 && d.startsWith(t)));
  if (!day) throw new OptionError('day', `"${text}" is not a weekday; write one of ${WEEKDAYS.join(', ')}`);
  return day;
}

/** "09:00", "9:30", "18h", "9am", "6:15 pm" → 24-hour hour and minute. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } {
  const m = /^(\d{1,2})(?:[:.h](\d{2})?)?\s*(am|pm)?$/i.exec(text.trim());
  const bad = () => new OptionError('time', `"${text}" is not a time of day; write HH:MM on a 24-hour clock, e.g. 09:00 or 18:30`);
  if (!m) throw bad();
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  const half = m[3]?.toLowerCase();
  if (half) {
    if (hour < 1 || hour > 12) throw bad();
    hour = (hour % 12) + (half === 'pm' ? 12 : 0);
  }
  if (hour > 23 || minute > 59) throw bad();
  return { hour, minute };
}

/** The canonical IANA name ("europe/berlin" → "Europe/Berlin"), or an error naming the option. */
export function parseTimeZone(text: string): string {
  const tz = text.trim();
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new OptionError('timezone', `"${text}" is not an IANA time zone; write e.g. Europe/Berlin, America/New_York or UTC`);
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export function weeklySchedule(day: Weekday, time: { hour: number; minute: number }, tz: string): Schedule {
  return {
    pattern: `${time.minute} ${time.hour} * * ${WEEKDAYS.indexOf(day)}`,
    tz,
    period: 'week',
    label: `${capital(day)}s at ${pad(time.hour)}:${pad(time.minute)} (${tz})`,
  };
}

/** A schedule from DIGEST_CRON: every firing is its own period. */
export function customSchedule(pattern: string, tz: string): Schedule {
  return { pattern, tz, period: 'slot', label: `on the cron pattern "${pattern}" (${tz})` };
}
