/**
 * The process-wide ZAP handler (ZeroMQ RFC 27) behind CURVE servers and
 * their `allowedClientKeys`.
 *
 * libzmq asks a handler bound to `inproc://zeromq.zap.01` in the socket's
 * context whether to admit each CURVE client, and only one socket can bind
 * that address per context. So one authenticator per context serves every
 * CURVE server transport: each registers its own ZAP domain (with its
 * allow-list, or "allow all" without one).
 *
 * Servers set ZMQ_ZAP_DOMAIN and ZMQ_ZAP_ENFORCE_DOMAIN, which makes libzmq
 * refuse every client when no handler answers: the allow-list fails closed.
 *
 * Lifecycle. When its last registration goes away the authenticator goes
 * idle: it stops reading (so it no longer keeps the process alive) but stays
 * bound. Closing the ZeroMQ socket instead would leave the inproc address
 * registered until libzmq's reaper gets to it, and a server created in that
 * window would send its ZAP requests into a socket that never answers
 * (handshakes hang until ZMQ_HANDSHAKE_IVL). An idle socket still has to
 * process libzmq's pipe-termination commands from the servers that just
 * closed (libzmq runs a socket's commands only when the application calls
 * into it; without that those servers never finish closing and their
 * Observers keep the process alive), so for a while after going idle an
 * unref'd timer pokes it. `close()` exists for tests and shutdown; a later
 * registration then binds a new handler, retrying while libzmq still holds
 * the address.
 */

import { z85Encode } from '@xsmb/zmtp';
import { type Context, Dealer, context as defaultContext, Router } from 'zeromq';
import { errnoCode } from './socket-options.js';

/** The address libzmq sends ZAP requests to (fixed by RFC 27). */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** How long a new handler keeps retrying a bind while libzmq releases the old one. */
const REBIND_TIMEOUT_MS = 5000;
const REBIND_INTERVAL_MS = 5;
/** How often and how long an idle handler processes libzmq commands (see above). */
const IDLE_PUMP_INTERVAL_MS = 10;
const IDLE_PUMP_MS = 5000;
/** ZMQ_RCVTIMEO of the handler: the read loop re-checks whether it should stop this often. */
const IDLE_RECEIVE_TIMEOUT_MS = 250;

interface DomainEntry {
  /** Allowed client keys (Z85), or null to admit every CURVE client. */
  allowed: ReadonlySet<string> | null;
  accepted: number;
  denied: number;
}

/** Counters of one ZAP domain. */
export interface ZapDomainStats {
  /** Clients admitted. */
  readonly accepted: number;
  /** Clients refused (key not on the allow-list, or not a CURVE client). */
  readonly denied: number;
}

/** One server's registration with the shared authenticator. */
export interface ZapRegistration {
  /** The ZAP domain to set on the server socket (ZMQ_ZAP_DOMAIN). */
  readonly domain: string;
  /** Replaces the allow-list (Z85 client public keys); takes effect for new handshakes. */
  setAllowedKeys(keys: Iterable<string>): void;
  /** Counters for this domain. */
  stats(): ZapDomainStats;
  /** Removes the domain; the authenticator idles when it was the last one. Idempotent. */
  release(): void;
}

let nextDomain = 1;
const authenticators = new Map<Context, ZapAuthenticator>();

/** The shared ZAP handler of one ZeroMQ context. */
export class ZapAuthenticator {
  private readonly router: Router;
  /** Connected to our own router: a message from it ends a pending receive when we go idle. */
  private readonly waker: Dealer;
  private readonly domains = new Map<string, DomainEntry>();
  private bound = false;
  /** Whether it should read requests (some server registered). */
  private serving = false;
  /** Whether the read loop runs (it may still be finishing after `serving` went false). */
  private looping = false;
  private closedFlag = false;
  private pump: NodeJS.Timeout | undefined;
  /** Why binding failed for good (another ZAP handler in this context?), if it did. */
  bindError: unknown;

  private constructor(readonly context: Context) {
    // linger 0: replies to a handshake in progress are worthless once we close.
    // receiveTimeout: a bound on how long the read loop can outlive `idle()`
    // if the waker's message is not noticed (zeromq.js can miss a wake-up).
    this.router = new Router({ context, linger: 0, receiveTimeout: IDLE_RECEIVE_TIMEOUT_MS });
    this.waker = new Dealer({ context, linger: 0 });
    try {
      this.router.bindSync(ZAP_ENDPOINT);
      this.onBound();
    } catch (error) {
      if (errnoCode(error) !== 'EADDRINUSE') {
        this.close();
        throw error;
      }
      // A previous handler of this process is still being torn down by
      // libzmq. Servers refuse everyone meanwhile (fail closed).
      void this.rebind(Date.now() + REBIND_TIMEOUT_MS, error);
    }
  }

  /** The authenticator of `context`, created (and bound) on first use. */
  static for(context: Context = defaultContext): ZapAuthenticator {
    let auth = authenticators.get(context);
    if (auth === undefined || auth.closed) {
      auth = new ZapAuthenticator(context);
      authenticators.set(context, auth);
    }
    return auth;
  }

  /** The authenticator of `context` if one exists and is not closed (tests, diagnostics). */
  static current(context: Context = defaultContext): ZapAuthenticator | undefined {
    const auth = authenticators.get(context);
    return auth?.closed === false ? auth : undefined;
  }

  /** True once closed; servers registered with it then admit nobody (fail closed). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** True while it reads ZAP requests (some server is registered). */
  get active(): boolean {
    return this.serving;
  }

  /** Registers a new domain; `keys` undefined admits every CURVE client. */
  register(keys: Iterable<string> | undefined): ZapRegistration {
    const domain = `xsmb-${process.pid}-${nextDomain++}`;
    const entry: DomainEntry = {
      allowed: keys === undefined ? null : new Set(keys),
      accepted: 0,
      denied: 0,
    };
    this.domains.set(domain, entry);
    this.startServing();
    let released = false;
    return {
      domain,
      setAllowedKeys: (next) => {
        entry.allowed = new Set(next);
      },
      stats: () => ({ accepted: entry.accepted, denied: entry.denied }),
      release: () => {
        if (released) return;
        released = true;
        this.domains.delete(domain);
        if (this.domains.size === 0) this.idle();
      },
    };
  }

  /**
   * Closes the handler for good. Every server registered with it refuses all
   * clients from now on (ZMQ_ZAP_ENFORCE_DOMAIN). Idempotent.
   */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.stopPump();
    if (authenticators.get(this.context) === this) authenticators.delete(this.context);
    this.waker.close();
    this.router.close();
  }

  private onBound(): void {
    this.bound = true;
    this.waker.connect(ZAP_ENDPOINT);
    this.startServing();
  }

  private async rebind(deadline: number, lastError: unknown): Promise<void> {
    let error = lastError;
    while (!this.closedFlag && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, REBIND_INTERVAL_MS));
      if (this.closedFlag) return;
      try {
        this.router.bindSync(ZAP_ENDPOINT);
        this.onBound();
        return;
      } catch (e) {
        error = e;
      }
    }
    this.bindError = error;
  }

  private startServing(): void {
    if (!this.bound || this.closedFlag || this.domains.size === 0) return;
    this.stopPump();
    this.serving = true;
    if (!this.looping) void this.serve();
  }

  private idle(): void {
    if (!this.serving || this.closedFlag) return;
    this.serving = false;
    // End the pending receive so nothing keeps the event loop alive; the
    // serve loop sees `serving` false and returns (and then starts the pump).
    // Should the wake-up get lost, ZMQ_RCVTIMEO ends the receive anyway.
    this.waker.send('').catch(() => {});
  }

  /**
   * Processes libzmq commands of the idle socket for a while. Only once no
   * receive is pending: reading ZMQ_EVENTS consumes the socket's signal, and
   * zeromq.js would then never learn that a pending receive can complete.
   */
  private startPump(): void {
    const until = Date.now() + IDLE_PUMP_MS;
    this.stopPump();
    this.pump = setInterval(() => {
      if (this.closedFlag || this.serving || Date.now() > until) {
        this.stopPump();
        return;
      }
      // Reading ZMQ_EVENTS makes libzmq process the socket's pending commands.
      void this.router.readable;
    }, IDLE_PUMP_INTERVAL_MS);
    this.pump.unref();
  }

  private stopPump(): void {
    if (this.pump !== undefined) clearInterval(this.pump);
    this.pump = undefined;
  }

  private decide(frames: Buffer[]): { status: string; text: string; userId: string } {
    // [routing id, empty, version, request id, domain, address, identity, mechanism, credentials...]
    const version = frames[2]?.toString('latin1');
    if (version !== '1.0') return { status: '400', text: 'unsupported ZAP version', userId: '' };
    const domain = frames[4]?.toString('latin1') ?? '';
    const mechanism = frames[7]?.toString('latin1');
    const entry = this.domains.get(domain);
    if (entry === undefined) {
      // A socket of this process that is not one of our servers and set no
      // domain: answer as libzmq would without a handler. A domain we do not
      // know (a closed server) admits nobody.
      if (domain === '') return { status: '200', text: 'OK', userId: '' };
      return { status: '400', text: 'unknown ZAP domain', userId: '' };
    }
    const key = frames[8];
    if (mechanism !== 'CURVE' || key === undefined || key.length !== 32) {
      entry.denied++;
      return { status: '400', text: 'CURVE client key required', userId: '' };
    }
    const z85 = z85Encode(key);
    if (entry.allowed !== null && !entry.allowed.has(z85)) {
      entry.denied++;
      return { status: '400', text: 'client key not allowed', userId: '' };
    }
    entry.accepted++;
    return { status: '200', text: 'OK', userId: z85 };
  }

  private async serve(): Promise<void> {
    this.looping = true;
    try {
      while (this.serving) {
        let frames: Buffer[];
        try {
          frames = await this.router.receive();
        } catch (error) {
          // EAGAIN: ZMQ_RCVTIMEO expired (or the socket closed): re-check.
          if (this.closedFlag || errnoCode(error) !== 'EAGAIN') return;
          continue;
        }
        const routingId = frames[0];
        const requestId = frames[3];
        // The waker's message (2 frames) is not a request: just re-check `serving`.
        if (routingId === undefined || requestId === undefined || frames.length < 8) continue;
        const { status, text, userId } = this.decide(frames);
        await this.router.send([routingId, '', '1.0', requestId, status, text, userId, '']);
      }
    } catch {
      // Closed while a receive or send was pending: nothing to answer any more.
    } finally {
      this.looping = false;
      if (!this.serving && !this.closedFlag) this.startPump();
    }
  }
}
