/** The --help text, generated from the flag table so it cannot drift. */
import { envName, STORAGE_DIR_ENV } from './env.js';
import { OPTIONS } from './flags.js';

/** The subcommands, as --help lists them (app/subcommands.ts runs them). */
export const COMMANDS: readonly (readonly [string, string])[] = [
  ['token create NAME SCOPES', 'print a new API token and the line to add to --api-tokens-file'],
  [
    'agent --server URL[,URL...] DIR',
    "keep DIR (default.pem, certs/) in step with a daemon's --sync-listen feed and signal the local marathon-lb (docs/agent.md)",
  ],
  [
    'status [--url URL] [--token T] [NAME]',
    "every certificate as a table, or one certificate's chain and history; exit 1 if unreachable or NAME is failing",
  ],
  ['renew [--url URL] [--token T] NAME', 'renew NAME now, ignoring its backoff (needs a write token)'],
];

export function helpText(): string {
  const lines = [
    'usage: marathon-acme [options] storage-dir',
    '       marathon-acme <command> ...',
    '',
    'Automatically manage ACME certificates for Marathon apps',
    '',
    'commands (each takes --help):',
    ...COMMANDS.map(([usage, what]) => `  ${usage}\n        ${what}`),
    '',
    'positional arguments:',
    `  storage-dir           Path to directory for storing certificates (env ${STORAGE_DIR_ENV})`,
    '',
    'options (each can also be set from the environment variable shown):',
  ];
  for (const o of OPTIONS) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.metavar ? ` ${o.metavar}` : ''}`;
    const dflt = o.default !== undefined ? ` (default: ${o.default})` : '';
    const env = o.name === 'help' || o.name === 'version' ? '' : ` [${envName(o.name)}]`;
    lines.push(`  ${flag}`, `        ${o.help}${dflt}${env}`);
  }
  lines.push(
    '',
    'Labels: MARATHON_ACME_{n}_DOMAIN on an app port in the marathon-lb group; see docs/configuration.md (Marathon app labels).',
  );
  return `${lines.join('\n')}\n`;
}
