// kapal-leak-check: compares what kapald's database says must exist with what exists on the
// machine (shims, mounts, cgroups, bridges, veths, nftables rules, directories) and lists every
// difference. It takes kapald's own flags and config file, so it looks where that kapald looks:
//
//   bin/kapal-leak-check                                   # the default kapald
//   bin/kapal-leak-check --data-root /srv/k --exec-root /run/k2 --nft-table kapal_k2
//
// Exit status: 0 nothing found, 1 findings (listed on stdout), 2 it could not check.

import { checkConflicts, ConfigError, readConfigFile, resolveConfig } from '../daemon/config.js';
import { parseFlags, usage } from '../daemon/flags.js';
import { checkLeaks } from './leaks.js';

function main(argv: string[]): number {
  const flags = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(`Usage: kapal-leak-check [kapald's flags]\n\nLists what kapald left on the machine that its database does not account for, and what it\naccounts for that is missing. Run it while kapald is idle or stopped.\n\n${usage()}\n`);
    return 0;
  }
  const file = readConfigFile(flags.configFile, flags.configFileExplicit);
  checkConflicts(flags.values, file);
  const config = resolveConfig(flags.configFile, file, flags.values);
  const report = checkLeaks(config);
  for (const f of report.findings) process.stdout.write(`${f.kind} ${f.what}: ${f.why}\n`);
  const c = report.counts;
  const state = report.daemonPid ? `kapald running (pid ${report.daemonPid})` : 'kapald not running';
  const pending = report.pending.length > 0 ? `; ${report.pending.length} exit(s) to record at kapald's next start` : '';
  process.stderr.write(
    `${report.findings.length === 0 ? 'no leaks' : `${report.findings.length} finding(s)`}: ${state}; ` +
      `${c.containers} containers (${c.running} running), ${c.networks} networks, ${c.volumes} volumes, ${c.images} images${pending}\n`,
  );
  return report.findings.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`kapal-leak-check: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exitCode = 2;
}
