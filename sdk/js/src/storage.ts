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
  /** Resolves when another tab changes the tokens, or after `ms`. */
  changed(ms: number): Promise<void>;
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
  changed(): Promise<void> {
    // Memory is this tab's alone: no other tab changes it.
    return Promise.resolve();
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
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        window.removeEventListener('storage', listener);
        resolve();
      };
      const listener = (event: StorageEvent) => {
        if (event.key === this.key) done();
      };
      const timer = setTimeout(done, ms);
      window.addEventListener('storage', listener);
    });
  }
}

interface LockManager {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  request<T>(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

/**
 * Runs `task` holding the lock `name` in every tab of this origin (Web Locks), so one tab
 * refreshes while the others wait and then find the new tokens in the cache. `task` learns
 * whether it had to wait: another tab's writes to localStorage reach this one a moment
 * after that tab releases the lock, so a waiter may have to wait for them too.
 */
export async function withLock<T>(name: string, task: (waited: boolean) => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator & { locks?: LockManager } | undefined)?.locks;
  if (!locks) return task(false);
  const immediate = await locks.request(name, { ifAvailable: true }, async (lock: unknown) =>
    lock ? { value: await task(false) } : null,
  );
  return immediate ? immediate.value : locks.request(name, () => task(true));
}
