/**
 * Shared timing loop of the in-process A/B scripts (ab-ort-*.ts): warms every variant up, then runs them
 * alternately (rotating the order each round) and returns each variant's median CPU ms per call — process user +
 * system time, which waiting for a core on a loaded machine does not inflate.
 */
import os from 'node:os';

export interface AlternatingCpu {
  medians: number[];
  loadBefore: number;
  loadAfter: number;
}

export async function alternatingCpuMedians(variants: readonly (() => Promise<unknown>)[], runs: number, warmup = 3): Promise<AlternatingCpu> {
  for (let r = 0; r < warmup; r++) for (const run of variants) await run();
  const cpu: number[][] = variants.map(() => []);
  const loadBefore = os.loadavg()[0];
  for (let r = 0; r < runs; r++) {
    for (let v = 0; v < variants.length; v++) {
      const k = (v + r) % variants.length;
      const start = process.cpuUsage();
      await variants[k]();
      const used = process.cpuUsage(start);
      cpu[k].push((used.user + used.system) / 1000);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  return { medians: cpu.map(median), loadBefore, loadAfter: os.loadavg()[0] };
}
