import jsonata from 'jsonata';

/** A compiled JSONata expression: `--body` over a client entry, `--result` over a response. */
export type Expression = ReturnType<typeof jsonata>;

interface JsonataError {
  message: string;
  position?: number;
  token?: string;
}

/** `--body … at position 17` from a JSONata error. */
function describe(flag: string, err: unknown): string {
  const e = err as JsonataError;
  return `${flag}: ${e.message}${e.position !== undefined ? ` at position ${e.position} of the expression` : ''}`;
}

/** Compiles once; throws a one-line error naming the flag and the position. */
export function compileExpression(flag: string, text: string): Expression {
  try {
    return jsonata(text);
  } catch (err) {
    throw new Error(describe(flag, err));
  }
}

/** A batch's expressions are compiled once per worker, not once per client. */
const compiledCache = new Map<string, Expression>();
const CACHE_LIMIT = 64;

export function compiledExpression(flag: string, text: string): Expression {
  let expr = compiledCache.get(text);
  if (!expr) {
    if (compiledCache.size >= CACHE_LIMIT) compiledCache.clear();
    expr = compileExpression(flag, text);
    compiledCache.set(text, expr);
  }
  return expr;
}

/** Evaluates; an error names the flag and the position, and never carries a stack. */
export async function evaluateExpression(
  flag: string,
  expr: Expression,
  input: unknown,
  bindings?: Record<string, unknown>,
): Promise<unknown> {
  try {
    return await expr.evaluate(input, bindings);
  } catch (err) {
    throw new Error(describe(flag, err));
  }
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  [key: string]: unknown;
}

/**
 * The fields an expression reads from its input's top level: the first step of each path that starts at the
 * input. Steps after the first, filters and function bodies read other contexts, and are left out.
 */
export function rootFields(expr: Expression): Array<{ name: string; position: number }> {
  const out: Array<{ name: string; position: number }> = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as AstNode;
    if (n.type === 'name') return void out.push({ name: String(n.value), position: n.position ?? 0 });
    if (n.type === 'path') return walk(n.steps?.[0] && { ...n.steps[0], stages: undefined, predicate: undefined });
    if (n.type === 'lambda') return;
    for (const [key, value] of Object.entries(n))
      if (key !== 'stages' && key !== 'predicate' && key !== 'group') walk(value);
  };
  walk(expr.ast());
  return out.filter((f, i) => out.findIndex((g) => g.name === f.name) === i);
}
