// Query parameters by name, for both stores: each query names its values (`@workspaceId`) instead of counting
// positions. better-sqlite3 binds `@name` from an object itself; PostgreSQL takes `$n` and an array, which
// `named` builds from the same text and the same object.
import { escapeLike, type ListQuery } from '../store';

type Params = Record<string, unknown>;

interface Compiled {
  text: string;
  names: string[];
}

const PLACEHOLDER = /@([A-Za-z_][A-Za-z0-9_]*)/g;
/** Compiled once per query text (the texts are constants, or a few variants of one). */
const compiled = new Map<string, Compiled>();

function compile(sql: string): Compiled {
  let found = compiled.get(sql);
  if (found === undefined) {
    const names: string[] = [];
    const text = sql.replace(PLACEHOLDER, (_match, name: string) => {
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      return `$${index + 1}`;
    });
    found = { text, names };
    compiled.set(sql, found);
  }
  return found;
}

/**
 * PostgreSQL's form of a query written with `@name` placeholders: each name becomes one `$n` (a name used twice
 * is bound once), and `values` lists the object's values in that order. A name the object lacks is a bug.
 */
export function named(sql: string, params: Params): { text: string; values: unknown[] } {
  const { text, names } = compile(sql);
  const values = names.map((name) => {
    if (!(name in params)) throw new Error(`The query names @${name}, which its parameters lack.`);
    return params[name];
  });
  return { text, values };
}

/** The parameters of a token list query (both stores): every name any variant of it uses. */
export function listParams(workspaceId: string, query: ListQuery): Params {
  return {
    workspaceId,
    afterCreatedAt: query.after?.createdAt ?? null,
    afterId: query.after?.id ?? null,
    pattern: query.search ? `%${escapeLike(query.search)}%` : null,
    maskedKey: query.maskedKey ?? null,
    limit: query.limit,
  };
}
