/** The Marathon source: client, SSE parser and `MarathonSource` (see each module's doc comment). */
export { MarathonSource, EVENT_TYPES, type MarathonSourceOptions } from './source.js';
export { MarathonClient, parseMarathonUrls, redactUrlString, type MarathonClientOptions, type MarathonEndpoint, type EventStream } from './client.js';
export { SseParser, SseLineTooLongError, type SseEventHandler } from './sse.js';
