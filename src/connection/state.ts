/**
 * The connection's lifecycle as an explicit state machine. Every transition
 * goes through `transition()`, which refuses the ones that make no sense, so
 * a bug shows up as a clear error instead of a connection in a strange state.
 */

/**
 * - `startup`: socket open, StartupMessage sent, authenticating.
 * - `ready`: authenticated; requests may be sent (some may be in flight).
 * - `closing`: close() called; no new requests, pending ones finish.
 * - `closed`: the socket is gone; every pending call has been rejected.
 */
export type ConnectionState = 'startup' | 'ready' | 'closing' | 'closed';

const ALLOWED: Record<ConnectionState, readonly ConnectionState[]> = {
  startup: ['ready', 'closed'],
  ready: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/** Holds the current state and checks each transition. */
export class StateMachine {
  state: ConnectionState = 'startup';

  transition(to: ConnectionState): void {
    if (this.state === to) return;
    if (!ALLOWED[this.state].includes(to)) {
      throw new Error(`invalid connection state transition ${this.state} -> ${to}`);
    }
    this.state = to;
  }
}
