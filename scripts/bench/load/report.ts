import type { LoadReport } from './run.ts';
import type { Comparison } from './stats.ts';

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const times = (comparison: Comparison) =>
  comparison.label.includes('share')
    ? `${fixed(comparison.value * 100)} %`
    : comparison.target === '= 0' ? fixed(comparison.value) : comparison.target?.endsWith('ms') || comparison.target?.endsWith('MB') ? fixed(comparison.value, 1) : `${fixed(comparison.value, 2)}×`;
/** The non-200 statuses, when there are any: "(429: 5152)". */
const statuses = (codes: Record<string, number>) => {
  const others = Object.entries(codes).filter(([code]) => code !== '200');
  return others.length ? ` (${others.map(([code, count]) => `${code}: ${count}`).join(', ')})` : '';
};
const verdict = (comparison: Comparison) => (comparison.target ? `${comparison.target}: ${comparison.met ? 'met' : '**MISSED**'}` : '');

/** The report as Markdown: one table row per target and scenario, then the targets. */
export function markdown(report: LoadReport, command: string): string {
  const { machine, options } = report;
  const lines = [
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGB} GB, ${machine.os}; Node ${machine.node}; PostgreSQL ${machine.database}.`,
    `Command: \`${command}\` — ${options.rounds} interleaved rounds of ${options.durationSeconds} s (warm-up ${options.warmupSeconds} s), median round shown with the spread of req/s; pool ${options.poolMax}. Run took ${fixed(report.seconds)} s.`,
    '',
    '| scenario | conns | server | req/s (min–max) | p50 / p90 / p99 ms | errors | non-2xx | CPU µs/req | RSS MB | vs comparator |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const scenario of report.scenarios) {
    scenario.targets.forEach((target, index) => {
      const m = target.median;
      const ratios = index === 0 ? scenario.comparisons.map((comparison) => `${comparison.label} ${times(comparison)}${comparison.target ? ` (${verdict(comparison)})` : ''}`).join('; ') : '';
      lines.push(
        `| ${index === 0 ? `${scenario.id}` : ''} | ${target.name === scenario.targets[0]!.name ? scenario.connections : ''} | ${target.name} | ${fixed(m.rps)} (${fixed(target.spread.minRps)}–${fixed(target.spread.maxRps)}) | ${m.latency.p50} / ${m.latency.p90} / ${m.latency.p99} | ${m.errors} | ${m.non2xx}${statuses(m.statusCodes)} | ${fixed(m.cpuMicrosPerRequest)} | ${fixed(m.rssMB)} | ${ratios} |`,
      );
    });
  }
  lines.push('', 'Scenarios:');
  const seen = new Set<string>();
  for (const scenario of report.scenarios) {
    // Once per part: a scenario measured at several connection counts has one title per part (S5 has two).
    const part = `${scenario.id} ${scenario.title}`;
    if (seen.has(part)) continue;
    seen.add(part);
    lines.push(`- ${scenario.id}: ${scenario.title}${scenario.note ? ` (${scenario.note})` : ''}`);
  }
  lines.push('', 'Targets (reported, never asserted):', '');
  for (const target of report.targets) lines.push(`- ${target.label}: ${times(target)} — ${verdict(target)}`);
  lines.push(
    '',
    `Server log: ${report.server.logLines} lines (${fixed(report.server.logBytes / 1e6, 1)} MB), ${report.server.logErrorLines} at level error or above.`,
  );
  for (const entry of report.server.logMessages) lines.push(`- ${entry.count} × ${entry.level} "${entry.msg}"`);
  return lines.join('\n');
}
