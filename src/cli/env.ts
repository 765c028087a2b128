/**
 * The environment mapping: every flag can also come from `MARATHON_ACME_<FLAG_IN_UPPER_SNAKE>`, the
 * storage directory from `MARATHON_ACME_STORAGE_DIR`; a flag on the command line wins.
 */

/** `--foo-bar` -> `MARATHON_ACME_FOO_BAR`. */
export function envName(option: string): string {
  return `MARATHON_ACME_${option.toUpperCase().replace(/-/g, '_')}`;
}
export const STORAGE_DIR_ENV = 'MARATHON_ACME_STORAGE_DIR';

/** A flag's raw value: `true`/`false` for a boolean flag given on the command line, else text. */
export type RawValue = string | boolean | undefined;

/** The raw value of each flag: the command line's if given, else the environment's, else undefined. */
export function rawLookup(values: Record<string, RawValue>, env: NodeJS.ProcessEnv): (name: string) => RawValue {
  return (name) => {
    const v = values[name];
    if (v !== undefined) return v;
    return env[envName(name)];
  };
}

/** The storage directory: the positional argument, else the environment's; undefined if neither. */
export function storageDirOf(positionals: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  return positionals[0] ?? env[STORAGE_DIR_ENV];
}
