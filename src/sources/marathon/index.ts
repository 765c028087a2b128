/** The Marathon source (see source.ts; client.ts, sse.ts and apps-stream.ts are its parts). */
export { MarathonSource } from './source.js';
