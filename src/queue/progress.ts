// Progress edits, throttled per job: the latest stage wins, at most one edit per interval
// (Discord and Slack rate-limit message edits), and close() waits for an edit in flight so it
// can never land on top of the final result.
export type SendProgress = (text: string) => Promise<void>;

export class ProgressThrottle {
  private lastSentAt = -Infinity;
  private pending: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private lastText: string | undefined;

  constructor(
    private readonly send: SendProgress,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(text: string): void {
    if (this.closed || text === this.lastText) return;
    this.pending = text;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.pending === undefined) return;
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      return;
    }
    const text = this.pending;
    this.pending = undefined;
    this.lastText = text;
    this.lastSentAt = this.now();
    this.inFlight = this.send(text)
      .catch(this.onError)
      .finally(() => {
        this.inFlight = undefined;
        if (!this.closed) this.schedule();
      });
  }

  /** Drop any pending update and wait for the one in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.inFlight;
  }
}

/** "layer 7/12 (58%)": a stage as /job shows it. */
export function stageText(stage: string, fraction?: number): string {
  const pct = fraction !== undefined && Number.isFinite(fraction) ? ` (${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%)` : '';
  return `${stage}${pct}`;
}

/** "running /attention · layer 7/12 (58%)": a stage as the pending message shows it. */
export function progressText(analysis: string, stage: string): string {
  return `running /${analysis} · ${stage}`;
}
