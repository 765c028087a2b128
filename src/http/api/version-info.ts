/** The `info` of the OpenAPI document. */
export const VERSION_INFO = {
  title: 'marathon-acme operator API',
  description: 'Certificates, their history, operator actions and the lifecycle event stream (docs/api.md).',
  version: '1',
} as const;
