import { describe, expect, it } from 'vitest';
import type { ContractKit } from './kit.js';

/** The contract's block for SessionStore: sessions by token hash and public id, sliding expiry, expiry sweep. */
export function sessionsContract({ fresh, users, session }: ContractKit): void {
  describe('sessions', () => {
    it('creates, finds (expired or not), touches and deletes a session', async () => {
      const { store } = await fresh();
      await users(store, 'ann');
      const s = session('u-ann', 1, 100);
      await store.createSession(s);
      expect(await store.findSession('t1')).toEqual(s);
      await store.touchSession('t1', 50, 150);
      const touched = { ...s, lastUsedAt: 50, expiresAt: 150 };
      expect(await store.findSession('t1')).toEqual(touched);
      // Expired sessions are still found: the caller decides.
      await store.touchSession('t1', 50, 60);
      expect((await store.findSession('t1'))?.expiresAt).toBe(60);
      expect(await store.deleteSession('t1')).toEqual({ ...touched, expiresAt: 60 });
      expect(await store.deleteSession('t1')).toBeNull();
      expect(await store.findSession('t1')).toBeNull();
    });

    it('lists a user\'s unexpired sessions newest first, and deletes the expired ones', async () => {
      const { store } = await fresh();
      await users(store, 'ann', 'bob');
      await store.createSession(session('u-ann', 1, 1000));
      await store.createSession(session('u-ann', 2, 100));
      await store.createSession(session('u-ann', 3, 2000));
      await store.createSession(session('u-bob', 4, 1000));
      await store.createSession(session('u-bob', 5, 99));
      expect((await store.listSessions('u-ann', 50)).map((s) => s.id)).toEqual(['s3', 's2', 's1']);
      // A session whose expiresAt is now has expired.
      expect((await store.listSessions('u-ann', 100)).map((s) => s.id)).toEqual(['s3', 's1']);
      expect(await store.deleteExpiredSessions(100)).toBe(2);
      expect(await store.findSession('t2')).toBeNull();
      expect(await store.findSession('t5')).toBeNull();
      expect(await store.findSession('t4')).not.toBeNull();
      expect(await store.deleteExpiredSessions(100)).toBe(0);
      expect((await store.listSessions('u-bob', 0)).map((s) => s.id)).toEqual(['s4']);
    });

    it('deletes a session by its public id only for the user who owns it', async () => {
      const { store } = await fresh();
      await users(store, 'ann', 'bob');
      const s = session('u-ann', 1, 1000);
      await store.createSession(s);
      expect(await store.deleteSessionById('u-bob', 's1')).toBeNull();
      expect(await store.findSession('t1')).toEqual(s);
      expect(await store.deleteSessionById('u-ann', 'nope')).toBeNull();
      expect(await store.deleteSessionById('u-ann', 's1')).toEqual(s);
      expect(await store.findSession('t1')).toBeNull();
      expect(await store.deleteSessionById('u-ann', 's1')).toBeNull();
    });
  });
}
