/**
 * A TCP proxy for tests: it forwards bytes both ways, counts the frontend
 * messages it sees by type (so a test can prove a repeated query sends Parse
 * once) and the client's round trips, and can cut every connection at once
 * to simulate a network failure.
 */
import net from 'node:net';
import { Framer } from '../protocol/framer.js';
import { SSL_REQUEST_CODE, GSSENC_REQUEST_CODE } from '../protocol/messages.js';

/** Options for {@link TcpProxy.start}. */
export interface TcpProxyOptions {
  /** Where to forward: the real server. */
  targetHost: string;
  targetPort: number;
}

/** A running proxy. */
export class TcpProxy {
  /** Frontend message counts by type letter ('P' Parse, 'B' Bind, 'Q' Query ...). */
  readonly counts = new Map<string, number>();
  private turns = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** The port clients connect to (on 127.0.0.1). */
    readonly port: number,
  ) {}

  /** Listen on a free port of 127.0.0.1 and forward to the target. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const ref: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => ref.proxy?.accept(client, options));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ref.proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return ref.proxy;
  }

  /** How many messages of this type letter the clients sent. */
  count(type: string): number {
    return this.counts.get(type) ?? 0;
  }

  /**
   * Client round trips over every connection since the start or the last
   * {@link resetCounts}. A round trip is a client turn: on one connection,
   * the first chunk the client sends after something came back from the
   * server (or the first chunk of the connection). Writes in one burst before
   * any reply count once, so a pipeline of many queries is one round trip.
   * Bytes are not parsed for this, so it also counts through TLS. It is seen
   * from the proxy: a client write that left before a reply reached the
   * client but arrives after the reply passed the proxy counts as a new turn.
   */
  roundTrips(): number {
    return this.turns;
  }

  /** Forget the counts (message types and round trips). */
  resetCounts(): void {
    this.counts.clear();
    this.turns = 0;
  }

  /** Destroy every open connection, both sides, as a network failure would. */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Stop listening and cut every connection. */
  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, o: TcpProxyOptions): void {
    const upstream = net.connect({ host: o.targetHost, port: o.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const framer = new Framer();
    let untyped = true;
    let counting = true;
    // Per connection: whether the server has answered since the client last sent.
    let replied = true;
    client.on('data', (chunk: Buffer) => {
      if (replied) {
        replied = false;
        this.turns++;
      }
      if (counting) {
        try {
          framer.push(chunk);
          for (;;) {
            const f = untyped ? framer.nextUntyped() : framer.next();
            if (f === null) break;
            if (untyped) {
              const code = f.end - f.start >= 4 ? new DataView(f.buf.buffer, f.buf.byteOffset + f.start, 4).getInt32(0) : 0;
              // SSLRequest/GSSENCRequest are followed by another untyped message;
              // after SSL is accepted the stream is encrypted and cannot be read.
              if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
                counting = false;
                break;
              }
              untyped = false;
              this.bump('startup');
            } else {
              this.bump(String.fromCharCode(f.type));
            }
          }
        } catch {
          counting = false;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      replied = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  private bump(type: string): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }
}
