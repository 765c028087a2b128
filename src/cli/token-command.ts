/**
 * `marathon-acme token create NAME SCOPES`: prints a new random token and the tokens-file line for it.
 * stdout has exactly two lines, the token and then the line (`<name> <scopes> <sha256-hex>`), so scripts can
 * read them; the explanation goes to stderr. Nothing is written to disk: the operator adds the line.
 * Exit codes: 0 printed, 2 usage error.
 */
import { createToken, hashToken, parseScopes, parseTokensFile } from '../lib/tokens.js';

const USAGE = 'usage: marathon-acme token create NAME SCOPES   (SCOPES: read, write, admin, sync, comma-separated)';

export interface CommandIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

export async function runTokenCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (argv.length !== 3 || argv[0] !== 'create') {
    io.err(`${USAGE}\nmarathon-acme token: error: expected 'create NAME SCOPES'\n`);
    return 2;
  }
  const [, name, scopeList] = argv as [string, string, string];
  const token = createToken();
  const line = `${name} ${scopeList.toLowerCase()} ${hashToken(token)}`;
  try {
    parseScopes(scopeList, 'SCOPES');
    parseTokensFile(line, 'NAME');
  } catch (err) {
    io.err(`${USAGE}\nmarathon-acme token: error: ${(err as Error).message}\n`);
    return 2;
  }
  io.out(`${token}\n${line}\n`);
  io.err(
    'The first line is the token: give it to its user (Authorization: Bearer <token>); it is not stored anywhere.\n' +
      'Add the second line to the file named by --api-tokens-file and restart marathon-acme.\n',
  );
  return 0;
}
