import { describe, expect, it } from 'vitest';
import { safeNext, signInHref } from '../../web/src/nextParam.js';

describe('safeNext (where to go after signing in)', () => {
  it('keeps paths on this site, with their query and fragment', () => {
    expect(safeNext('/d/abc123')).toBe('/d/abc123');
    expect(safeNext('/chats/doc%3Aabc?x=1#end')).toBe('/chats/doc%3Aabc?x=1#end');
    expect(safeNext('/')).toBe('/');
  });

  it('turns anything that could leave the site into "/"', () => {
    for (const raw of [
      null,
      undefined,
      '',
      'https://evil.example/',
      '//evil.example/path',
      '/\\evil.example',
      'javascript:alert(1)',
      'd/abc',
      '/\t/evil.example',
      '/\n/evil.example',
      ' /d/abc',
    ]) {
      expect(safeNext(raw)).toBe('/');
    }
  });

  it('dot segments that normalise into "//host" or "/\\host" lead home, not to another origin', () => {
    for (const raw of [
      '/.//evil.example/x',
      '/..//evil.example/x',
      '/./\\evil.example/x',
      '/../\\evil.example',
      '/%2e//evil.example/x',
      '/%2E%2E//evil.example/x',
      '/a/..//evil.example/x',
      '/././/evil.example',
      '/.\\/evil.example',
    ]) {
      const next = safeNext(raw);
      expect(next, raw).toBe('/');
      expect(new URL(next, 'http://app.example:3000/signin').origin, raw).toBe('http://app.example:3000');
    }
    // Dot segments that stay on the site still work.
    expect(safeNext('/a/../d/abc')).toBe('/d/abc');
  });

  it('never sends back to the sign-in pages', () => {
    expect(safeNext('/signin?next=/x')).toBe('/');
    expect(safeNext('/register')).toBe('/');
  });

  it('builds sign-in links that come back', () => {
    expect(signInHref('/d/abc')).toBe('/signin?next=%2Fd%2Fabc');
    expect(signInHref('/', '/register')).toBe('/register');
  });
});
