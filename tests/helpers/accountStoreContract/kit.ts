import { onTestFinished } from 'vitest';
import type { AccountStore, SessionRecord, UserRecord } from '../../../server/accounts/accountStore.js';

/** Opens a fresh, empty store (closed when the test finishes) and a way to open another over its data. */
export type OpenAccountStore = () => Promise<{ store: AccountStore; reopen: () => Promise<AccountStore> }>;

/** What every domain block of the contract is given. */
export interface ContractKit {
  /** A fresh, empty store, closed when the test finishes; `reopen` opens a new store over the same data. */
  fresh(): ReturnType<OpenAccountStore>;
  /** Creates users with these names (ids `u-<name>`), created at 1, 2, 3… */
  users(store: AccountStore, ...names: string[]): Promise<UserRecord[]>;
  /** Session number `n` of the user (token `t<n>`, id `s<n>`), made and used at `n`. */
  session(userId: string, n: number, expiresAt: number): SessionRecord;
}

export function contractKit(open: OpenAccountStore): ContractKit {
  return {
    async fresh() {
      const made = await open();
      onTestFinished(() => made.store.close());
      return made;
    },
    async users(store, ...names) {
      const made: UserRecord[] = [];
      for (const [i, name] of names.entries()) {
        const user = await store.createUser({ id: `u-${name}`, name, passwordHash: `hash-${name}`, createdAt: i + 1 });
        if (user === 'taken') throw new Error(`${name} taken`);
        made.push(user);
      }
      return made;
    },
    session(userId, n, expiresAt) {
      return { tokenHash: `t${n}`, id: `s${n}`, userId, createdAt: n, lastUsedAt: n, expiresAt, userAgent: `agent ${n}` };
    },
  };
}
