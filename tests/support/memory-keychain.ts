// A keychain that lives in process memory, behind the same KeychainApi as keytar. For tests and
// for many nodes in one process (devnet), where the OS keychain must not fill up with throwaway
// keys. Nothing in it survives the process.
import type { KeychainApi, KeychainLoader } from '../../src-node/kernel/identity/keychain-keystore.js';

export class MemoryKeychain implements KeychainApi {
  private readonly entries = new Map<string, string>();

  private static key(service: string, account: string): string {
    return `${service}\u0000${account}`;
  }

  async getPassword(service: string, account: string): Promise<string | null> {
    return this.entries.get(MemoryKeychain.key(service, account)) ?? null;
  }

  async setPassword(service: string, account: string, password: string): Promise<void> {
    this.entries.set(MemoryKeychain.key(service, account), password);
  }

  async deletePassword(service: string, account: string): Promise<boolean> {
    return this.entries.delete(MemoryKeychain.key(service, account));
  }

  /** Number of entries, for tests. */
  get size(): number {
    return this.entries.size;
  }

  /** A loader that hands out this keychain. */
  loader(): KeychainLoader {
    return async () => this;
  }
}
