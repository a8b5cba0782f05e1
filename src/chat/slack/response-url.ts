// The slash command's response_url updates the ephemeral "queued" note. Slack allows it 5 uses
// in 30 minutes: one may go to the bot (its answer when dispatch outlasted the ack budget), one
// is kept for the final "posted" note, and progress gets the rest.
export const RESPONSE_URL_USES = 5;
const RESERVED_FOR_FRONT = 1;
const RESERVED_FOR_FINAL = 1;
const TRACKED_MAX = 1000;

export class ResponseUrlBudget {
  // Insertion-ordered, so the oldest entries go first when the map is full.
  private readonly used = new Map<string, number>();

  /** Take one use for a progress update, leaving the reserved final use untouched. */
  takeForProgress(url: string): boolean {
    return this.take(url, RESPONSE_URL_USES - RESERVED_FOR_FRONT - RESERVED_FOR_FINAL);
  }

  /** Take the final use and forget the URL: nothing is sent to it afterwards. */
  takeFinal(url: string): boolean {
    const ok = this.take(url, RESPONSE_URL_USES - RESERVED_FOR_FRONT);
    this.used.delete(url);
    return ok;
  }

  private take(url: string, cap: number): boolean {
    const n = this.used.get(url) ?? 0;
    if (n >= cap) return false;
    this.used.delete(url);
    this.used.set(url, n + 1);
    if (this.used.size > TRACKED_MAX) this.used.delete(this.used.keys().next().value!);
    return true;
  }
}

/** Replace the ephemeral message the command was answered with. Throws on a non-2xx answer. */
export async function replaceEphemeral(responseUrl: string, text: string): Promise<void> {
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: true, text }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}
