/**
 * Building HTML safely: every interpolated value is escaped unless it is markup this module built.
 * The status page shows values that came from the network (app ids, labels, the CA's error details),
 * so escaping is the default and the only way to insert markup is to have built it with `html`.
 */

/** Markup that is already safe (built by `html` or `raw` from constant text). */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text safe inside element content and inside a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

/** A value as markup: escaped text, nested markup as is, arrays joined, null/undefined/false as nothing. */
function fragment(value: unknown): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(fragment).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template: the literal parts are trusted markup, every interpolation is escaped (see `fragment`). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += fragment(values[i]) + strings[i + 1]!;
  return new Markup(out);
}

/** Constant markup written in this module tree (never network data). */
export function raw(text: string): Markup {
  return new Markup(text);
}
