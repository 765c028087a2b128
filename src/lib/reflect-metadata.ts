/**
 * A minimal Reflect metadata polyfill (the subset tsyringe uses), because @peculiar/x509 2.x throws at
 * load time without one ("tsyringe requires a reflect polyfill", see its README) and the project takes no
 * extra dependency for it. Import this module BEFORE `@peculiar/x509`: ES modules evaluate imports in
 * order, so `import './reflect-metadata.js'` as the first import is enough.
 *
 * Contract: idempotent (does nothing when a full polyfill is already installed); metadata is stored in a
 * WeakMap per target, `getMetadata` walks the prototype chain like reflect-metadata does.
 */
type Key = string | symbol | undefined;
type Store = Map<Key, Map<unknown, unknown>>;

const R = Reflect as unknown as Record<string, unknown>;

if (typeof R.getMetadata !== 'function') {
  const all = new WeakMap<object, Store>();
  const table = (target: object, prop: Key, create: boolean): Map<unknown, unknown> | undefined => {
    let byProp = all.get(target);
    if (!byProp) {
      if (!create) return undefined;
      byProp = new Map();
      all.set(target, byProp);
    }
    let byKey = byProp.get(prop);
    if (!byKey && create) {
      byKey = new Map();
      byProp.set(prop, byKey);
    }
    return byKey;
  };
  const getOwn = (key: unknown, target: object, prop?: Key): unknown => table(target, prop, false)?.get(key);
  const hasOwn = (key: unknown, target: object, prop?: Key): boolean => table(target, prop, false)?.has(key) ?? false;
  const has = (key: unknown, target: object, prop?: Key): boolean => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      if (hasOwn(key, t, prop)) return true;
    }
    return false;
  };
  const get = (key: unknown, target: object, prop?: Key): unknown => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      if (hasOwn(key, t, prop)) return getOwn(key, t, prop);
    }
    return undefined;
  };
  const define = (key: unknown, value: unknown, target: object, prop?: Key): void => {
    table(target, prop, true)!.set(key, value);
  };
  Object.assign(R, {
    defineMetadata: define,
    getMetadata: get,
    getOwnMetadata: getOwn,
    hasMetadata: has,
    hasOwnMetadata: hasOwn,
    metadata: (key: unknown, value: unknown) => (target: object, prop?: Key) => define(key, value, target, prop),
  });
}

export {};
