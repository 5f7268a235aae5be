// A Node.js Duplex over a message stream of another stream library (the DHT's encrypted streams are
// streamx duplexes), with the few socket methods Node's HTTP parser and ws call on a socket
// (setTimeout, setNoDelay, setKeepAlive) as no-ops: the stream below has its own keepalive and
// timeouts. Backpressure goes both ways: a full reader pauses the inner stream, a full inner
// writer holds our write callback until it drains. Either side ending or failing ends both.
import { Duplex } from 'node:stream';

/** What we use of the inner stream (streamx and Node streams both have it). */
export interface InnerStream {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'close' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(error?: Error): unknown;
  pause(): unknown;
  resume(): unknown;
}

export class StreamSocket extends Duplex {
  constructor(
    private readonly inner: InnerStream,
    /** The remote address for logs and per-source limits (the inner stream's UDP peer). */
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (error) => this.destroy(error instanceof Error ? error : new Error(String(error))));
    inner.on('close', () => this.destroy());
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.inner.write(chunk)) callback();
    else this.inner.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }

  setTimeout(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }
}
