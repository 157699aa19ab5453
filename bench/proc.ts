import { readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux the bench targets). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, milliseconds, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function statusKb(pid: number, key: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** Peak resident set size (VmHWM) since start or the last `resetPeakRss`, MB. */
export function peakRssMb(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}

/** Resident set size now (VmRSS), MB. */
export function rssMb(pid: number): number {
  return statusKb(pid, 'VmRSS') / 1024;
}

/**
 * Resets VmHWM to the current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux ≥ 4.0), so the next
 * `peakRssMb` is the peak of what follows. False when the kernel or permissions do not allow it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU and memory of one process over one measured stretch. */
export class ProcessMeter {
  private readonly cpuStart: number;

  constructor(readonly pid: number) {
    resetPeakRss(pid);
    this.cpuStart = cpuMs(pid);
  }

  /** CPU milliseconds used since the meter was made. */
  cpu(): number {
    return cpuMs(this.pid) - this.cpuStart;
  }

  /** Peak RSS since the meter was made, MB. */
  peak(): number {
    return peakRssMb(this.pid);
  }
}
