import { canComment, canEdit, isRole, ROLE_LABELS, type Role } from '../../../shared/accounts.js';
import { CloseCode, describeCloseCode } from '../../../shared/closeCodes.js';
import { el } from '../ui/dom.js';
import { signInHref } from '../ui/nextParam.js';

/**
 * What this window may do with its document, as the server last said: a role (from GET
 * /api/docs/:id, then the collab socket's access message and /live's access events), or lost
 * access (a 4401/4404/4406/4410 close, or /live saying the role is gone). Listeners run on every change.
 */
export class DocRole {
  private current: Role;
  private lostCode: number | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(initial: Role) {
    this.current = initial;
  }

  get role(): Role {
    return this.current;
  }

  /** The close code that ended access (4401, 4404, 4406 or 4410), or null while there is access. */
  get lost(): number | null {
    return this.lostCode;
  }

  /** Whether this window may change the document now. */
  get editable(): boolean {
    return this.lostCode === null && canEdit(this.current);
  }

  /** Whether this window may comment now (owner, editor, commenter). */
  get commentable(): boolean {
    return this.lostCode === null && canComment(this.current);
  }

  set(role: Role): void {
    if (role === this.current && this.lostCode === null) return;
    this.current = role;
    this.lostCode = null;
    this.changed();
  }

  lose(code: number): void {
    if (this.lostCode === code) return;
    this.lostCode = code;
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Close codes that mean this window's access to the document ended (or that it has no document to open). */
export function isAccessLoss(code: number): boolean {
  return code === CloseCode.unauthenticated || code === CloseCode.noAccess || code === CloseCode.docNotFound || code === CloseCode.docDeleted;
}

/** Remembers the role per document so a page opened offline starts as it last was. */
const ROLE_KEY_PREFIX = 'tandem.role.';
export function rememberRole(docId: string, role: Role): void {
  try {
    localStorage.setItem(ROLE_KEY_PREFIX + docId, role);
  } catch {
    // Offline pages then start editable; the server still refuses a viewer's changes.
  }
}
export function rememberedRole(docId: string): Role | null {
  try {
    const value = localStorage.getItem(ROLE_KEY_PREFIX + docId);
    return isRole(value) ? value : null;
  } catch {
    return null;
  }
}

export interface RoleElements {
  /** `#read-only-banner`. */
  readOnlyBanner: HTMLElement;
  /** `#access-banner`. */
  accessBanner: HTMLElement;
  /** `#title`. */
  titleInput: HTMLInputElement;
  /** `#role-badge` (my role, beside the title). */
  badge: HTMLElement;
}

/**
 * Keeps the page's controls in step with `role`: the title is read-only and the read-only banner
 * shows for a viewer; when access ends, `#access-banner` says why (with a way on) and nothing can
 * be changed. `refresh` updates the editor (editable, toolbar).
 */
export function bindRoleUi(role: DocRole, els: RoleElements, refresh: () => void): void {
  const render = (): void => {
    const lost = role.lost;
    els.titleInput.readOnly = !role.editable;
    els.titleInput.setAttribute('aria-readonly', String(!role.editable));
    els.readOnlyBanner.hidden = lost !== null || role.editable;
    els.readOnlyBanner.textContent = role.commentable
      ? 'You can comment on this document; only editors can change it'
      : 'You can view this document; only editors can change it';
    els.badge.textContent = lost === null ? ROLE_LABELS[role.role] : lost === CloseCode.docNotFound ? 'No document' : 'No access';
    els.badge.dataset['role'] = lost === null ? role.role : 'none';
    document.body.dataset['role'] = lost === null ? role.role : 'none';
    if (lost === null) {
      els.accessBanner.hidden = true;
    } else {
      els.accessBanner.hidden = false;
      els.accessBanner.dataset['code'] = String(lost);
      els.accessBanner.replaceChildren(`${accessText(lost)}. `, accessLink(lost));
    }
    refresh();
  };
  role.onChange(render);
  render();
}

function accessText(code: number): string {
  if (code === CloseCode.noAccess) return 'No access — you do not have access to this document any more';
  // Opened from this browser's copy while the server could not be asked: the server has no such document.
  if (code === CloseCode.docNotFound) return 'There is no document at this address on the server — what this window shows is only in this browser';
  return describeCloseCode(code);
}

function accessLink(code: number): HTMLElement {
  if (code === CloseCode.unauthenticated) {
    return el('a', { text: 'Sign in', attrs: { href: signInHref(location.pathname + location.search) } });
  }
  return el('a', { text: 'Go to your documents', attrs: { href: '/' } });
}
