#!/usr/bin/env node
/**
 * The entry point: argv + environment → exit code. Parses the flags, creates the logger, logs the
 * configuration and hands over to `app/run.ts` (the composition root is `app/compose.ts`).
 * `marathon-acme <subcommand> ...` (app/subcommands.ts) runs a subcommand instead, with its own exit codes.
 * Exit codes: 0 (stopped by SIGTERM/SIGINT, --help, --version), 1 (cannot start, fatal error), 2 (usage).
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { run } from './app/run.js';
import { subcommandOf } from './app/subcommands.js';
import { helpText, parseCli, UsageError } from './cli/index.js';
import { describeConfig } from './config/describe.js';
import { describeError } from './lib/errors.js';
import { createLogger } from './lib/logger.js';
import { VERSION } from './version.js';

/** Run the daemon; resolves with the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = subcommandOf(argv);
  if (command)
    return command(argv.slice(1), env, {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
    });
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`usage: marathon-acme [options] storage-dir\nmarathon-acme: error: ${err.message}\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const w of parsed.warnings) logger.warn({}, w);
  logger.info({ version: VERSION, ...describeConfig(config) }, 'starting marathon-acme');
  try {
    return await run(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'unhandled error, exiting');
    return 1;
  }
}

const invokedDirectly = (() => {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`marathon-acme: fatal: ${describeError(err).message}\n`);
      process.exit(1);
    },
  );
}
