import { z } from 'zod';
import { withinDeadline, type ReadinessProbe } from '../../storage/readiness.js';
import { errorFields, type Logger } from '../platform/log.js';
import { route, type Route } from './route.js';

export interface HealthRoutesDeps {
  /** GET /readyz: can the store take a durable write (a probe record, never the ledger)? */
  readonly readiness: ReadinessProbe;
  /** How long /readyz waits for the probe before answering 503 (default 2 s). */
  readonly readinessTimeoutMs?: number;
  readonly log: Logger;
}

/** The probes of the platform that runs the server. */
export function healthRoutes(deps: HealthRoutesDeps): Route[] {
  const timeoutMs = deps.readinessTimeoutMs ?? 2000;
  return [
    // Liveness: the process is up and its event loop turns. No store I/O, so a slow or full store
    // never gets a live process restarted; that is what /readyz is for.
    route({
      method: 'GET',
      path: '/healthz',
      summary: 'Liveness: the process is up (no store I/O; for restarts, not for routing)',
      cache: 'no-store',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      handle: () => Promise.resolve({ status: 200, body: { status: 'ok' } }),
    }),
    // Readiness: able to record a stop now. A probe record is written durably and read back, in
    // a table of its own; a full disk or a lost volume takes the instance out of rotation.
    route({
      method: 'GET',
      path: '/readyz',
      summary:
        'Readiness: the store took a durable write of a probe record (never the ledger) in time',
      cache: 'no-store',
      responses: {
        200: {
          description: 'Ready to record consent and stops',
          schema: z.object({ status: z.literal('ready') }),
        },
        503: {
          description: 'The store cannot take a durable write now: route traffic elsewhere',
          schema: z.object({
            status: z.literal('unavailable'),
            code: z.literal('STORE_UNAVAILABLE'),
          }),
        },
      },
      handle: async () => {
        try {
          await withinDeadline(deps.readiness.check(), timeoutMs, 'readiness probe');
          return { status: 200, body: { status: 'ready' } };
        } catch (error) {
          deps.log.error('ready.store_unavailable', errorFields(error));
          return { status: 503, body: { status: 'unavailable', code: 'STORE_UNAVAILABLE' } };
        }
      },
    }),
  ];
}
