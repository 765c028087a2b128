/** The command line's public surface: parse argv + environment into a Config, --help, the flag table. */
export { envName, STORAGE_DIR_ENV } from './env.js';
export { type Kind, type Option, OPTIONS } from './flags.js';
export { helpText } from './help.js';
export { type ParseResult, parseCli } from './parse.js';
export { UsageError } from './usage-error.js';
export { allowedDomains, parseStaticDomains } from './values.js';
