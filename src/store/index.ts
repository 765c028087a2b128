/** The certificate store: the storage directory shared with marathon-lb. */
export { FileStore, type FileStoreOptions } from './file-store.js';
export { buildBundle, checkBundle, readStoredCert, type BundleProblem, type CheckedBundle } from './bundle.js';
export { parseStateRecord } from './state.js';
export { assertSafeName } from '../lib/file-names.js';
