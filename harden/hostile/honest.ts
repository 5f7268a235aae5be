// An honest client during an attack: one attempt every `everyMs` (never two at once), each bounded
// by its own timeout, recorded with its time and outcome. Figures: the success rate during the
// attack and after it, latency, and the time to recover after the attack stopped.
import { summarize, type Summary } from '../faults/stats.js';
import { sleep } from '../faults/wait.js';

export interface Attempt {
  readonly at: number;
  readonly ok: boolean;
  readonly ms: number;
  /** Why it failed. */
  readonly why?: string;
}

export interface HonestFigures {
  readonly attempts: number;
  readonly succeeded: number;
  /** 0…1; 1 when there were no attempts. */
  readonly rate: number;
  readonly latency: Summary;
  /** The most frequent reasons for failures, "why ×n". */
  readonly failures: string;
}

export class HonestClient {
  readonly log: Attempt[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  /** `attempt` resolves true when served, or a short reason; it must settle within `timeoutMs`. */
  constructor(
    readonly name: string,
    private readonly attempt: () => Promise<true | string>,
    readonly everyMs: number,
    readonly timeoutMs: number,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now();
        let outcome: true | string;
        try {
          outcome = await Promise.race([this.attempt(), sleep(this.timeoutMs).then(() => `no answer within ${this.timeoutMs} ms`)]);
        } catch (error) {
          outcome = error instanceof Error ? error.message.slice(0, 60) : String(error);
        }
        const ms = Date.now() - at;
        this.log.push(outcome === true ? { at, ok: true, ms } : { at, ok: false, ms, why: outcome });
        await sleep(this.everyMs - ms);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Attempts started in [from, to). */
  between(from: number, to: number): HonestFigures {
    return figuresOf(this.log.filter((a) => a.at >= from && a.at < to));
  }

  /**
   * From `from` (the attack's end) until the honest client was served again for good: the first
   * success after the last failure that started after `from`; 0 when nothing failed after it, null
   * when nothing succeeded.
   */
  recoveryMs(from: number): number | null {
    const after = this.log.filter((a) => a.at >= from);
    let lastFailure = -1;
    after.forEach((a, i) => {
      if (!a.ok) lastFailure = i;
    });
    if (lastFailure < 0) return after.length > 0 ? 0 : null;
    const next = after.slice(lastFailure + 1).find((a) => a.ok);
    return next ? next.at + next.ms - from : null;
  }
}

export function figuresOf(attempts: readonly Attempt[]): HonestFigures {
  const ok = attempts.filter((a) => a.ok);
  const reasons = new Map<string, number>();
  for (const a of attempts) if (!a.ok) reasons.set(a.why ?? '?', (reasons.get(a.why ?? '?') ?? 0) + 1);
  return {
    attempts: attempts.length,
    succeeded: ok.length,
    rate: attempts.length === 0 ? 1 : ok.length / attempts.length,
    latency: summarize(ok.map((a) => a.ms)),
    failures: [...reasons.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([why, n]) => `${why} ×${n}`)
      .join('; '),
  };
}
