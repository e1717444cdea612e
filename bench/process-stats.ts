import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** user + system CPU seconds of a process so far; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

export interface Memory {
  /** Resident set, bytes. */
  rss: number;
  /** Private anonymous memory, bytes: what a PostgreSQL backend owns without the shared buffers. */
  anon: number;
}

export function memory(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon') };
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = values.map(Number);
  const idle = n[3] + (n[4] ?? 0);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export interface UsageReport {
  /** Average over the window; 100 is one core. */
  cpuPercent: number;
  rssStartMiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  processes: number;
}

/**
 * CPU and memory of a changing group of processes (PostgreSQL backends come and go) over a window:
 * a process counts from the first time it is seen.
 */
export class UsageMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private startedAt = 0;
  private rssStart = 0;
  private rssEnd = 0;
  private rssPeak = 0;

  constructor(
    private readonly listPids: () => Promise<number[]> | number[],
    /** Which figure counts as the group's memory: the resident set, or private memory for PostgreSQL. */
    private readonly measure: keyof Memory = 'rss',
  ) {}

  async start(): Promise<void> {
    this.startedAt = performance.now();
    this.rssStart = await this.sample();
  }

  async sample(): Promise<number> {
    let total = 0;
    for (const pid of await this.listPids()) {
      const cpu = cpuSeconds(pid);
      const mem = memory(pid);
      if (cpu === null || mem === null) continue;
      if (!this.first.has(pid)) this.first.set(pid, cpu);
      this.last.set(pid, cpu);
      total += mem[this.measure];
    }
    this.rssEnd = total;
    this.rssPeak = Math.max(this.rssPeak, total);
    return total;
  }

  async report(): Promise<UsageReport> {
    await this.sample();
    let cpu = 0;
    for (const [pid, end] of this.last) cpu += end - this.first.get(pid)!;
    const seconds = (performance.now() - this.startedAt) / 1000;
    const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
    return {
      cpuPercent: Math.round((cpu / seconds) * 1000) / 10,
      rssStartMiB: mib(this.rssStart),
      rssEndMiB: mib(this.rssEnd),
      rssPeakMiB: mib(this.rssPeak),
      processes: this.last.size,
    };
  }
}

/** The whole machine's CPU over a window, in percent of one core (a 2-core machine tops at 200). */
export class MachineMeter {
  private start = machineTicks();

  reset(): void {
    this.start = machineTicks();
  }

  report(cores: number): number {
    const end = machineTicks();
    const busy = end.busy - this.start.busy;
    const total = end.total - this.start.total;
    return total > 0 ? Math.round((busy / total) * cores * 1000) / 10 : 0;
  }
}
