import { describe, expect, it } from 'vitest';
import { findMentions, passwordProblem, userNameKey, userNameProblem } from '../../shared/accounts.js';
import { hashPassword, needsRehash, verifyPassword } from '../../server/auth/passwords.js';
import { hashToken } from '../../server/auth/sessions.js';
import { PeopleEvents } from '../../server/people/peopleEvents.js';

describe('passwords', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const first = await hashPassword('correct horse battery', 12);
    const second = await hashPassword('correct horse battery', 12);
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$12\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    // Unicode forms of one text are one password.
    expect(await verifyPassword('cafe\u0301 au lait!', await hashPassword('café au lait!', 12))).toBe(true);
  });

  it('refuses malformed or absurd stored hashes instead of computing them', async () => {
    for (const stored of ['', 'plain', 'scrypt$17$8$1$abc', 'scrypt$40$8$1$c2FsdA==$a2V5', 'bcrypt$12$8$1$c2FsdA==$a2V5']) {
      expect(await verifyPassword('anything', stored)).toBe(false);
    }
  });

  it('asks for a re-hash below the configured cost', async () => {
    const cheap = await hashPassword('correct horse battery', 12);
    expect(needsRehash(cheap, 17)).toBe(true);
    expect(needsRehash(cheap, 12)).toBe(false);
  });
});

describe('account rules', () => {
  it('names: 2–32 letters, digits, _ . -; unique ignoring case and Unicode form', () => {
    for (const ok of ['ann', 'Ann_B', 'j.doe', 'Zoë', 'a-1']) expect(userNameProblem(ok)).toBeNull();
    for (const bad of ['a', 'has space', 'x'.repeat(33), 'semi;colon', '@ann', '']) expect(userNameProblem(bad)).not.toBeNull();
    expect(userNameKey('ANN')).toBe(userNameKey('ann'));
    expect(userNameKey('Zoe\u0308')).toBe(userNameKey('zoë'));
  });

  it('passwords: length, common ones, too few distinct characters, the name inside', () => {
    expect(passwordProblem('correct horse battery', 'ann')).toBeNull();
    expect(passwordProblem('short', 'ann')).toMatch(/at least/);
    expect(passwordProblem('x'.repeat(129), 'ann')).toMatch(/at most/);
    expect(passwordProblem('Password123', 'ann')).toMatch(/attacker/);
    expect(passwordProblem('abababababab', 'ann')).toMatch(/repeats/);
    expect(passwordProblem('my-name-is-ANN-ok', 'ann')).toMatch(/name/);
  });

  it('mentions: @name at a word start, once each, without a trailing full stop', () => {
    expect(findMentions('hi @ann and @bob.smith. Also @ann again')).toEqual(['ann', 'bob.smith']);
    expect(findMentions('mail me at me@example.com')).toEqual([]);
    expect(findMentions('@x is too short, (@zoë) counts')).toEqual(['zoë']);
  });
});

describe('session tokens', () => {
  it('are stored as SHA-256 hex, never as they are', () => {
    const token = 'A'.repeat(43);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token);
  });
});

describe('PeopleEvents', () => {
  it('announces locally and to the relay; takes only well-formed events from other processes', () => {
    const events = new PeopleEvents();
    const relayed: string[] = [];
    const seen: unknown[] = [];
    events.relayTo((json) => relayed.push(json));
    events.on('memberChanged', (...args) => seen.push(args));
    events.announce('memberChanged', 'doc1', 'user1', 'viewer');
    expect(seen).toEqual([['doc1', 'user1', 'viewer']]);
    expect(JSON.parse(relayed[0]!)).toEqual({ name: 'memberChanged', args: ['doc1', 'user1', 'viewer'] });

    // From another process: emitted here, not relayed again.
    expect(events.receiveRemote(JSON.stringify({ name: 'memberChanged', args: ['doc2', 'user2', null] }))).toBe(true);
    expect(seen).toHaveLength(2);
    expect(relayed).toHaveLength(1);
    for (const bad of ['not json', 'null', '{"name":"error","args":[{}]}', '{"name":"newListener","args":[]}', '{"name":"memberChanged","args":"x"}']) {
      expect(events.receiveRemote(bad)).toBe(false);
    }
    expect(seen).toHaveLength(2);
  });
});
