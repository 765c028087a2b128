/** A recording fake of the operator API's handlers, for route and auth tests over real HTTP. */
import type { ApiHandlers, Outcome } from '../../src/http/api/routes.js';
import type { StreamEvent } from '../../src/http/api/sse.js';

export interface FakeApi extends ApiHandlers {
  readonly calls: string[];
  push(e: StreamEvent): void;
}

export function fakeApi(): FakeApi {
  const calls: string[] = [];
  const subscribers = new Set<(e: StreamEvent) => void>();
  const cert = { name: 'a.example', names: ['a.example'], state: 'valid', serial: '01' };
  let id = 100;
  const known = (name: string): Outcome<{ event_id: number; name: string }> =>
    name === 'a.example' ? { ok: true, value: { event_id: ++id, name } } : { ok: false, status: 404, error: 'unknown' };
  return {
    calls,
    certificates: () => [cert],
    certificate: async (name) => (name === 'a.example' ? { ...cert, history: [] } : undefined),
    problems: () => [{ app_id: '/bad', code: 'NAME_INVALID' }],
    renew: async (name) => {
      calls.push(`renew ${name}`);
      return known(name);
    },
    revoke: async (name, reason) => {
      calls.push(`revoke ${name} ${reason}`);
      return known(name);
    },
    putDomain: async (name, names) => {
      calls.push(`put ${name} ${names.join(',')}`);
      return { ok: true, value: { created: true, value: { name, names, requested_by: 'api' } } };
    },
    deleteDomain: async (name) => {
      calls.push(`delete ${name}`);
      return name === 'a.example'
        ? { ok: true, value: { name, names: [name], requested_by: 'api' } }
        : { ok: false, status: 404, error: 'unknown' };
    },
    releaseRemovals: () => {
      calls.push('release');
      return ['gone.example'];
    },
    events: {
      subscribe: (fn) => {
        subscribers.add(fn);
        return () => subscribers.delete(fn);
      },
    },
    push: (e) => {
      for (const fn of subscribers) fn(e);
    },
  };
}
