// What the route modules share, built once per hub by buildHub (app.ts) and handed to each as its plugin options.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from './clock';
import type { Digester } from './digest';
import type { InvokeDecider, VerifyDecider } from './invoke';
import type { TokenBucketLimiter } from './rateLimit';
import type { Store } from './store';
import type { TokenService } from './tokens';
import type { UsageCounter } from './usageCounter';

export interface HubContext {
  store: Store;
  service: TokenService;
  lookupLimiter: TokenBucketLimiter;
  decideInvoke: InvokeDecider;
  /** POST /v1/verify's verdict (invoke.ts), shared with its fast path. */
  decideVerify: VerifyDecider;
  digest: Digester;
  now: Clock;
  /** Usage counts of every decision about a token's use (recordUse), and what is not yet written. */
  usage: UsageCounter;
  /** The account-key check (auth.ts), run before anything else on every management route. */
  authenticateAccount(request: FastifyRequest): Promise<void>;
  /** The service-key check of POST /v1/verify (auth.ts). */
  authenticateService(request: FastifyRequest): Promise<void>;
}

/**
 * The hooks of the account-key routes: authenticate first, then one compact log line per request (invoke logs
 * none). Called by each management route module on its own plugin instance, so they apply to its routes only.
 */
export function useManagementHooks(app: Pick<FastifyInstance, 'addHook'>, context: HubContext): void {
  app.addHook('onRequest', context.authenticateAccount);
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    request.log.info(
      { reqId: request.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
    done();
  });
}
