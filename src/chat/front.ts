// What the chat fronts (Discord, Slack) share beyond the Deliverer contract: how they log and
// the words for the states of a command.

/** The slice of a pino logger the fronts use. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Shown when dispatch itself throws (Redis down, a bug): say it is not the user's fault. */
export const INTERNAL_ERROR_TEXT = 'Something went wrong on our side; please try again in a minute.';

/** `position` as dispatch reports it: 0 = a cached result is on its way, 1 = next to start. */
export function queuedText(position: number): string {
  if (position <= 0) return 'already computed — posting the cached result';
  return position === 1 ? 'queued — starting shortly' : `queued — position ${position} in line`;
}
