// Where tokens live (localStorage, shared by tabs, or memory) and the cross-tab lock that
// keeps two tabs from spending one refresh token twice.

export interface CachedTokens {
  accessToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  idToken?: string;
  refreshToken?: string;
  scope: string;
}

export interface TokenCache {
  read(): CachedTokens | null;
  write(tokens: CachedTokens): void;
  clear(): void;
}

export class MemoryCache implements TokenCache {
  private tokens: CachedTokens | null = null;
  read(): CachedTokens | null {
    return this.tokens;
  }
  write(tokens: CachedTokens): void {
    this.tokens = tokens;
  }
  clear(): void {
    this.tokens = null;
  }
}

export class LocalStorageCache implements TokenCache {
  constructor(private readonly key: string) {}
  read(): CachedTokens | null {
    try {
      const stored = localStorage.getItem(this.key);
      return stored ? (JSON.parse(stored) as CachedTokens) : null;
    } catch {
      return null;
    }
  }
  write(tokens: CachedTokens): void {
    localStorage.setItem(this.key, JSON.stringify(tokens));
  }
  clear(): void {
    localStorage.removeItem(this.key);
  }
}

interface LockManager {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/**
 * Runs `task` holding the lock `name` in every tab of this origin (Web Locks), so one tab
 * refreshes while the others wait and then find the new tokens in the cache.
 */
export async function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator & { locks?: LockManager } | undefined)?.locks;
  return locks ? locks.request(name, task) : task();
}
