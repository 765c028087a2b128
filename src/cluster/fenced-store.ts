/**
 * The storage as the leader sees it: every write (certs/, state/, the archive, the account key and
 * record, kept certificates) first passes the fence (`Election.assertLeading`), so an instance that no
 * longer provably leads — deposed, or paused past its lease — writes nothing. Reads pass through.
 *
 * Contract: the fence is asked synchronously right before the write is started; a refused write rejects
 * with the fence's error (`NOT_LEADER`, an outage, never counted against a certificate) and the storage
 * is untouched.
 */
import type { Store } from '../domain/contracts.js';

export function fencedStore(store: Store, fence: (action: string) => void): Store {
  const guard = async <T>(action: string, write: () => Promise<T>): Promise<T> => {
    fence(action);
    return write();
  };
  return {
    init: () => store.init(),
    readAccountKey: () => store.readAccountKey(),
    writeAccountKey: (pem) => guard('write client.key', () => store.writeAccountKey(pem)),
    list: () => store.list(),
    ...(store.listNames ? { listNames: () => store.listNames!() } : {}),
    readLeafPem: (name, serial) => store.readLeafPem(name, serial),
    install: (spec, cert) => guard(`install certs/${spec.name}.pem`, () => store.install(spec, cert)),
    archive: (name) => guard(`archive certs/${name}.pem`, () => store.archive(name)),
    loadStates: () => store.loadStates(),
    saveState: (name, state) => guard(`write state/${name}.json`, () => store.saveState(name, state)),
    readAccountState: () => store.readAccountState(),
    writeAccountState: (state) => guard('write account-state.json', () => store.writeAccountState(state)),
    checkWritable: () => store.checkWritable(),
    ...(store.keepIssued
      ? { keepIssued: (spec, cert) => guard('keep an issued certificate', () => store.keepIssued!(spec, cert)) }
      : {}),
    ...(store.readKept ? { readKept: () => store.readKept!() } : {}),
    ...(store.dropKept ? { dropKept: (name) => guard('drop a kept certificate', () => store.dropKept!(name)) } : {}),
    ...(store.readPendingOrder ? { readPendingOrder: (name) => store.readPendingOrder!(name) } : {}),
    ...(store.writePendingOrder
      ? {
          writePendingOrder: (name, order) =>
            guard(`write orders/${name}.json`, () => store.writePendingOrder!(name, order)),
        }
      : {}),
  };
}
