// Small runtime validators for everything that crosses into the core (IPC, the browser host, the CLI).
// Each returns the value with its static type, or a path-qualified reason. Unknown keys are refused:
// a payload that carries more than the contract names is malformed, not "extra".
export type Check<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };
export interface Validator<T> {
  (input: unknown, path?: string): Check<T>;
  readonly optional?: boolean;
}
export type Infer<V> = V extends Validator<infer T> ? T : never;

const pass = <T>(value: T): Check<T> => ({ ok: true, value });
const reject = (path: string, what: string): Check<never> => ({ ok: false, reason: `${path || 'argument'} ${what}` });

export function integer(opts: { min: number; max: number }): Validator<number> {
  return (x, path = '') => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) return reject(path, 'must be a whole number');
    if (x < opts.min || x > opts.max) return reject(path, `must be between ${opts.min} and ${opts.max}`);
    return pass(x);
  };
}

export function text(opts: { maxLength: number; pattern?: RegExp }): Validator<string> {
  return (x, path = '') => {
    if (typeof x !== 'string') return reject(path, 'must be text');
    if (x.length > opts.maxLength) return reject(path, `must be at most ${opts.maxLength} characters`);
    if (opts.pattern && !opts.pattern.test(x)) return reject(path, 'has an invalid form');
    return pass(x);
  };
}

export function boolean(): Validator<boolean> {
  return (x, path = '') => (typeof x === 'boolean' ? pass(x) : reject(path, 'must be true or false'));
}

export function oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
  return (x, path = '') =>
    typeof x === 'string' && (values as readonly string[]).includes(x) ? pass(x as T[number]) : reject(path, `must be one of ${values.join(', ')}`);
}

export function list<T>(item: Validator<T>, opts: { maxItems: number; minItems?: number }): Validator<T[]> {
  return (x, path = '') => {
    if (!Array.isArray(x)) return reject(path, 'must be a list');
    if (x.length > opts.maxItems || x.length < (opts.minItems ?? 0)) return reject(path, `must hold ${opts.minItems ?? 0} to ${opts.maxItems} items`);
    const out: T[] = [];
    for (let i = 0; i < x.length; i++) {
      const r = item(x[i], `${path}[${i}]`);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return pass(out);
  };
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> & { readonly optional: true } {
  const v = (x: unknown, path = ''): Check<T | undefined> => (x === undefined ? pass(undefined) : inner(x, path));
  return Object.assign(v, { optional: true as const });
}

/** A map with keys of one form and values of one type (e.g. per-source settings). */
export function record<T>(key: RegExp, value: Validator<T>, opts: { maxKeys: number }): Validator<Record<string, T>> {
  return (x, path = '') => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return reject(path, 'must be an object');
    const entries = Object.entries(x);
    if (entries.length > opts.maxKeys) return reject(path, `must hold at most ${opts.maxKeys} entries`);
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const [k, v] of entries) {
      if (!key.test(k) || k === '__proto__') return reject(path ? `${path}.${k}` : k, 'is not an accepted name');
      const r = value(v, path ? `${path}.${k}` : k);
      if (!r.ok) return r;
      out[k] = r.value;
    }
    return pass(out);
  };
}

export function number(opts: { min: number; max: number }): Validator<number> {
  return (x, path = '') => {
    if (typeof x !== 'number' || !Number.isFinite(x)) return reject(path, 'must be a number');
    if (x < opts.min || x > opts.max) return reject(path, `must be between ${opts.min} and ${opts.max}`);
    return pass(x);
  };
}

type Shape = Record<string, Validator<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S as S[K] extends { optional: true } ? never : K]: Infer<S[K]> } & {
  [K in keyof S as S[K] extends { optional: true } ? K : never]?: Infer<S[K]>;
};

export function object<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  return (x, path = '') => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return reject(path, 'must be an object');
    const proto = Object.getPrototypeOf(x);
    if (proto !== Object.prototype && proto !== null) return reject(path, 'must be a plain object');
    for (const key of Object.keys(x)) {
      if (!Object.prototype.hasOwnProperty.call(shape, key)) return reject(path ? `${path}.${key}` : key, 'is not expected');
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const r = check((x as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (!r.ok) return r;
      if (r.value !== undefined) out[key] = r.value;
    }
    return pass(out as ObjectOf<S>);
  };
}
