// The few host globals src-shared may touch: present in browsers, Node and Electron alike.
// Declared here because src-shared compiles without DOM or Node typings (DESIGN.md §3).
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
declare const crypto: {
  getRandomValues<T extends Uint8Array>(array: T): T;
};
declare class URL {
  constructor(url: string, base?: string | URL);
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  readonly username: string;
  readonly password: string;
  toString(): string;
}
