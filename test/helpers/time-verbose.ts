/**
 * What `/usr/bin/time -v` reported of a process: its peak RSS in kB and its wall-clock seconds (undefined when absent).
 */
export function timeVerbose(report: string): { peakRssKb?: number; seconds?: number } {
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(report);
  return {
    peakRssKb: rss ? Number(rss[1]) : undefined,
    seconds: wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : undefined,
  };
}
