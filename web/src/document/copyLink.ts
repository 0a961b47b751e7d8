/** How long "Link copied" stays before the share status clears. */
const COPIED_MESSAGE_MS = 4_000;

/** The copy-link control's elements (in the Share dialog): the button, a status line, and a read-only URL field. */
export interface CopyLinkElements {
  button: HTMLButtonElement;
  /** `#share-status`, a polite live region: "Link copied" or how to copy by hand. */
  status: HTMLElement;
  /** `#share-url`, hidden until the clipboard cannot be written; then shown with the URL selected. */
  urlInput: HTMLInputElement;
}

/**
 * Makes the button (the Share dialog's "Copy link") copy `url` (the document's address) to the clipboard and say "Link copied".
 * Where the Clipboard API is missing or refused (an insecure origin, a denied permission), it shows
 * the URL in a read-only field, selected, tries the legacy copy command, and says either "Link
 * copied" or how to copy it by hand. `data-result` on the status is `copied` or `manual`.
 */
export function bindCopyLink(els: CopyLinkElements, url: string): void {
  let clearTimer: ReturnType<typeof setTimeout> | null = null;
  els.urlInput.value = url;
  const say = (text: string, result: 'copied' | 'manual'): void => {
    els.status.textContent = text;
    els.status.dataset['result'] = result;
    if (clearTimer !== null) clearTimeout(clearTimer);
    clearTimer = result === 'copied' ? setTimeout(() => {
      els.status.textContent = '';
      delete els.status.dataset['result'];
    }, COPIED_MESSAGE_MS) : null;
  };
  els.button.addEventListener('click', async () => {
    try {
      if (navigator.clipboard === undefined) throw new Error('no Clipboard API here');
      await navigator.clipboard.writeText(url);
      els.urlInput.hidden = true;
      say('Link copied', 'copied');
      return;
    } catch {
      // Fall back to the field below.
    }
    els.urlInput.hidden = false;
    els.urlInput.focus();
    els.urlInput.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    if (copied) say('Link copied', 'copied');
    else say(`Press ${/Mac|iP(hone|[oa]d)/.test(navigator.platform) ? '⌘' : 'Ctrl'}+C to copy the link`, 'manual');
  });
}
