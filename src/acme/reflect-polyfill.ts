/**
 * A minimal Reflect metadata API (the subset of the `reflect-metadata` proposal that tsyringe, used by
 * @peculiar/x509, needs). @peculiar/x509 throws at import time without one, and the project adds no
 * dependencies. Installs itself only when `Reflect.getMetadata` is missing; import BEFORE @peculiar/x509.
 */
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function table(target: object, prop: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp && create) store.set(target, (byProp = new Map()));
  let t = byProp?.get(prop);
  if (!t && create && byProp) byProp.set(prop, (t = new Map()));
  return t;
}

function getOwn(key: unknown, target: object, prop?: Key): unknown {
  return table(target, prop, false)?.get(key);
}

function hasOwn(key: unknown, target: object, prop?: Key): boolean {
  return table(target, prop, false)?.has(key) ?? false;
}

function get(key: unknown, target: object, prop?: Key): unknown {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (hasOwn(key, o, prop)) return getOwn(key, o, prop);
  }
  return undefined;
}

function ownKeys(target: object, prop?: Key): unknown[] {
  return [...(table(target, prop, false)?.keys() ?? [])];
}

const api = {
  defineMetadata(key: unknown, value: unknown, target: object, prop?: Key): void {
    table(target, prop, true)!.set(key, value);
  },
  metadata(key: unknown, value: unknown) {
    return (target: object, prop?: Key): void => api.defineMetadata(key, value, target, prop);
  },
  getOwnMetadata: getOwn,
  hasOwnMetadata: hasOwn,
  getMetadata: get,
  hasMetadata(key: unknown, target: object, prop?: Key): boolean {
    for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) if (hasOwn(key, o, prop)) return true;
    return false;
  },
  getOwnMetadataKeys: ownKeys,
  getMetadataKeys(target: object, prop?: Key): unknown[] {
    const keys = new Set<unknown>();
    for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) for (const k of ownKeys(o, prop)) keys.add(k);
    return [...keys];
  },
  deleteMetadata(key: unknown, target: object, prop?: Key): boolean {
    return table(target, prop, false)?.delete(key) ?? false;
  },
};

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R['getMetadata'] !== 'function') {
  for (const [name, fn] of Object.entries(api)) R[name] = fn;
}

export {};
