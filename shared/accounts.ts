/**
 * Rules about people, shared by server and web: what a user name and a password may be, the roles a
 * person can have on a document, link access, and chat limits. The server enforces every rule; the
 * web app uses the same functions to explain a problem before a request is sent.
 */

/** A user name: 2–32 letters, digits, "_", "." or "-" (so that `@name` in a chat names exactly one person). */
export const USER_NAME_PATTERN = /^[\p{L}\p{N}_.-]{2,32}$/u;
export const MIN_PASSWORD_CHARS = 8;
/** Longer passwords are refused (not cut): the KDF's cost grows with the input. */
export const MAX_PASSWORD_CHARS = 128;

/** Why `name` cannot be a user name, or null when it can. */
export function userNameProblem(name: string): string | null {
  if (USER_NAME_PATTERN.test(name)) return null;
  return 'Names are 2–32 letters, digits, "_", "." or "-", without spaces.';
}

/** The form under which names are unique: case-insensitive and Unicode-normalised. */
export function userNameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/** A few of the passwords every attacker tries first (refused outright). */
const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'password123', '12345678', '123456789', '1234567890', 'qwertyuiop', 'qwerty123',
  'iloveyou', 'letmein1', 'welcome1', 'admin123', 'abc12345', 'football', 'baseball', 'sunshine',
  'princess', 'trustno1', 'passw0rd', 'p@ssw0rd', '11111111', '00000000', '87654321', 'superman',
  'starwars', 'whatever', 'dragon12', 'monkey12', 'changeme', 'tandem123',
]);

/** Why `password` is not acceptable for the user `name`, or null when it is. */
export function passwordProblem(password: string, name: string): string | null {
  const chars = [...password].length;
  if (chars < MIN_PASSWORD_CHARS) return `Passwords need at least ${MIN_PASSWORD_CHARS} characters.`;
  if (chars > MAX_PASSWORD_CHARS) return `Passwords may have at most ${MAX_PASSWORD_CHARS} characters.`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'That password is one of the first an attacker tries; choose another.';
  if (new Set(password).size < 4) return 'That password repeats too few characters; choose another.';
  if (lower.includes(userNameKey(name))) return 'A password may not contain your name.';
  return null;
}

/**
 * A person's role on a document. Owners can do everything; editors change the text; commenters read
 * it and comment on it; viewers read it (and its comments).
 */
export const ROLES = ['owner', 'editor', 'commenter', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who may open a document by its link without being a member. */
export const LINK_ACCESS = ['none', 'view', 'comment', 'edit'] as const;
export type LinkAccess = (typeof LINK_ACCESS)[number];
/** What a new document allows: anyone with the link can edit, so opening a shared URL keeps working. */
export const DEFAULT_LINK_ACCESS: LinkAccess = 'edit';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
export function isLinkAccess(value: unknown): value is LinkAccess {
  return typeof value === 'string' && (LINK_ACCESS as readonly string[]).includes(value);
}

/** Whether someone with `role` may change the document's content. */
export function canEdit(role: Role | null): boolean {
  return role === 'owner' || role === 'editor';
}

/** Whether someone with `role` may comment (start threads, reply, react, resolve): anyone but a viewer. */
export function canComment(role: Role | null): boolean {
  return role === 'owner' || role === 'editor' || role === 'commenter';
}

/** The role link access gives someone who is not a member (null: none). */
export function roleFromLink(link: LinkAccess): Role | null {
  switch (link) {
    case 'edit':
      return 'editor';
    case 'comment':
      return 'commenter';
    case 'view':
      return 'viewer';
    case 'none':
      return null;
  }
}

/** Human words for a role and for link access, for the UI. */
export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', editor: 'Can edit', commenter: 'Can comment', viewer: 'Can view' };
/** The roles a member can be given (anyone's but the owner's), most first. */
export const GIVEN_ROLES = ['editor', 'commenter', 'viewer'] as const satisfies readonly Exclude<Role, 'owner'>[];
export const LINK_ACCESS_LABELS: Record<LinkAccess, string> = {
  none: 'Only members',
  view: 'Anyone with the link can view',
  comment: 'Anyone with the link can comment',
  edit: 'Anyone with the link can edit',
};

/** Longest chat message, in characters (longer: refused, not cut). */
export const MAX_CHAT_MESSAGE_CHARS = 2000;
/** Longest group name, in characters. */
export const MAX_GROUP_TITLE_CHARS = 80;

/** Where a chat message mentions someone: `text.slice(start, end)` is `@name`. */
export interface MentionSpan {
  start: number;
  end: number;
  name: string;
}

/**
 * The `@name` mentions in a chat message, in order: the @ starts the text or follows a non-name
 * character, then 2–32 name characters; trailing dots end a sentence, not the name ("thanks @ann.").
 */
export function mentionSpans(text: string): MentionSpan[] {
  const spans: MentionSpan[] = [];
  for (const match of text.matchAll(/(^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]{2,32})/gu)) {
    const name = match[2]!.replace(/\.+$/, '');
    if (!USER_NAME_PATTERN.test(name)) continue;
    const start = match.index! + match[1]!.length;
    spans.push({ start, end: start + 1 + name.length, name });
  }
  return spans;
}

/** The user names mentioned in a chat message, each once, in the form given. */
export function findMentions(text: string): string[] {
  return [...new Set(mentionSpans(text).map((span) => span.name))];
}
