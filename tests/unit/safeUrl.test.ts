import type { DOMOutputSpec, Mark, Node as PMNode, TagParseRule } from 'prosemirror-model';
import { describe, expect, it } from 'vitest';
import { isSafeUrl } from '../../shared/safeUrl.js';
import { schema } from '../../shared/schema.js';

const SAFE = [
  'https://example.com/a?b=c&d=e#f',
  'http://example.com',
  'HTTPS://EXAMPLE.COM',
  'mailto:someone@example.com',
  '/d/abc',
  '#section',
  '?q=1&r=2',
  'relative/path',
  '../up',
  '//cdn.example.com/x.png',
  '  https://example.com/padded  ',
];

const UNSAFE: unknown[] = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\nscript:alert(1)',
  'java\tscript:alert(1)',
  '\u0001javascript:alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:image/png;base64,AAAA',
  'file:///etc/passwd',
  'blob:https://example.com/uuid',
  'javascript&colon;alert(1)',
  'javascript\\:alert(1)',
  ['javascript:alert(1)'],
  { toString: 'javascript:alert(1)' },
  42,
  null,
  undefined,
];

describe('isSafeUrl (the one URL rule of documents)', () => {
  it('accepts http, https, mailto and relative URLs', () => {
    for (const url of SAFE) expect(isSafeUrl(url), url).toBe(true);
  });

  it('refuses every other scheme, hidden schemes and non-strings', () => {
    for (const url of UNSAFE) expect(isSafeUrl(url), typeof url === 'string' ? url : typeof url).toBe(false);
  });
});

/** A stand-in for a DOM element: the parse rules only read attributes. */
function element(attributes: Record<string, string>): HTMLElement {
  return { getAttribute: (name: string) => attributes[name] ?? null } as unknown as HTMLElement;
}

function parseRule(rules: readonly unknown[] | undefined): TagParseRule {
  const rule = rules?.[0] as TagParseRule | undefined;
  if (rule?.getAttrs === undefined) throw new Error('no parse rule with getAttrs');
  return rule;
}

describe('the schema renders and parses only safe URLs', () => {
  const link = schema.marks['link']!;
  const image = schema.nodes['image']!;
  const renderLink = (href: string): DOMOutputSpec => link.spec.toDOM!(link.create({ href }) as Mark, true);
  const renderImage = (src: string): DOMOutputSpec => image.spec.toDOM!(image.create({ src }) as PMNode);

  it('a link with an unsafe href renders without it; a safe one keeps it', () => {
    expect(renderLink('javascript:alert(document.cookie)')).toEqual(['a', { href: null, title: null }, 0]);
    expect(renderLink('https://example.com/')).toEqual(['a', { href: 'https://example.com/', title: null }, 0]);
  });

  it('an image with an unsafe src renders without it', () => {
    expect(renderImage('javascript:alert(1)')).toEqual(['img', { src: null, alt: null, title: null }]);
    expect(renderImage('https://example.com/a.png')).toEqual(['img', { src: 'https://example.com/a.png', alt: null, title: null }]);
  });

  it('pasted HTML: an unsafe link or image does not parse, a safe one does', () => {
    const linkRule = parseRule(link.spec.parseDOM);
    expect(linkRule.getAttrs!(element({ href: 'javascript:alert(1)' }))).toBe(false);
    expect(linkRule.getAttrs!(element({ href: 'https://example.com/' }))).toEqual({ href: 'https://example.com/', title: null });
    const imageRule = parseRule(image.spec.parseDOM);
    expect(imageRule.getAttrs!(element({ src: 'data:image/png;base64,AAAA' }))).toBe(false);
    expect(imageRule.getAttrs!(element({ src: '/a.png', alt: 'A' }))).toEqual({ src: '/a.png', alt: 'A', title: null });
  });
});
