import { describe, expect, it } from 'vitest';
import type { ContractKit } from './kit.js';

/** The contract's block for UserStore: createUser, findUserByName, getUser, listUsers, setLastSeen, setPasswordHash. */
export function usersContract({ fresh, users }: ContractKit): void {
  describe('users', () => {
    it('creates users and finds them by id and by name, case-insensitively', async () => {
      const { store } = await fresh();
      const created = await store.createUser({ id: 'u1', name: 'Ann', passwordHash: 'h', createdAt: 10 });
      expect(created).toEqual({ id: 'u1', name: 'Ann', passwordHash: 'h', createdAt: 10, lastSeenAt: null });
      expect(await store.getUser('u1')).toEqual(created);
      expect(await store.findUserByName('ann')).toEqual(created);
      expect(await store.findUserByName('ANN')).toEqual(created);
      expect(await store.findUserByName('bob')).toBeNull();
      expect(await store.getUser('nobody')).toBeNull();
    });

    it("a name differing only in case (or Unicode form) is 'taken' and creates nothing", async () => {
      const { store } = await fresh();
      await users(store, 'Ann');
      expect(await store.createUser({ id: 'u2', name: 'aNN', passwordHash: 'h', createdAt: 2 })).toBe('taken');
      // Fullwidth "Ａ" is "A" under NFKC.
      expect(await store.createUser({ id: 'u3', name: '\uFF21nn', passwordHash: 'h', createdAt: 3 })).toBe('taken');
      expect(await store.getUser('u2')).toBeNull();
      expect((await store.listUsers()).map((u) => u.id)).toEqual(['u-Ann']);
      expect((await store.findUserByName('ann'))?.name).toBe('Ann');
    });

    it("a name that looks like one taken (confusables, ASCII look-alikes) is 'taken'; sign-in stays by the exact name", async () => {
      const { store } = await fresh();
      await users(store, 'admin', 'Paul');
      const lookalikes = ['\u0430dmin', 'ADM1N', 'admIn', '\u0430\u0501min', 'PauI', 'Pau1', '\u0420aul'];
      for (const [i, name] of lookalikes.entries()) {
        expect(await store.createUser({ id: `x${i}`, name, passwordHash: 'h', createdAt: 10 + i }), name).toBe('taken');
      }
      expect((await store.listUsers()).map((u) => u.name)).toEqual(['admin', 'Paul']);
      // Look-alikes are refused, not found: signing in and sharing still need the exact name.
      expect(await store.findUserByName('\u0430dmin')).toBeNull();
      expect((await store.findUserByName('ADMIN'))?.id).toBe('u-admin');
      // Names that merely share letters are fine.
      expect(await store.createUser({ id: 'y1', name: 'adrian', passwordHash: 'h', createdAt: 20 })).not.toBe('taken');
    });

    it('lists every user by name, case-insensitively', async () => {
      const { store } = await fresh();
      await users(store, 'bob', 'Zed', 'ann', 'Carl');
      expect((await store.listUsers()).map((u) => u.name)).toEqual(['ann', 'bob', 'Carl', 'Zed']);
    });

    it('records when a user was last seen', async () => {
      const { store } = await fresh();
      await users(store, 'ann');
      await store.setLastSeen('u-ann', 500);
      expect((await store.getUser('u-ann'))?.lastSeenAt).toBe(500);
      await store.setLastSeen('u-ann', 700);
      expect((await store.findUserByName('ANN'))?.lastSeenAt).toBe(700);
    });

    it('replaces a password hash', async () => {
      const { store } = await fresh();
      await users(store, 'ann', 'bob');
      await store.setPasswordHash('u-ann', 'scrypt$17$8$1$new$hash');
      expect((await store.getUser('u-ann'))?.passwordHash).toBe('scrypt$17$8$1$new$hash');
      expect((await store.getUser('u-bob'))?.passwordHash).not.toBe('scrypt$17$8$1$new$hash');
    });
  });
}
