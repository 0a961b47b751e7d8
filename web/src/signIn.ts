import { MAX_PASSWORD_CHARS, passwordProblem, userNameProblem } from '../../shared/accounts.js';
import { byId } from './dom.js';
import { safeNext } from './nextParam.js';
import { register, signIn, type Session } from './session.js';
import { renderTopbar } from './topbar.js';

/**
 * The sign-in (`/signin`) and register (`/register`) pages: `#signin-form` / `#register-form` with
 * `#name` and `#password`, errors in `#auth-error` (the server's own sentence; on register, the
 * name and password rules are checked here first with the functions the server uses). On success
 * the page goes to `?next=` when it is a path on this site (see safeNext), else home.
 */
export function renderSignIn(root: HTMLElement, session: Session, mode: 'signin' | 'register'): void {
  const registering = mode === 'register';
  const next = safeNext(new URLSearchParams(location.search).get('next'));
  const nextQuery = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  document.title = `${registering ? 'Create account' : 'Sign in'} — Tandem`;
  root.replaceChildren(renderTopbar(session, null));
  const main = document.createElement('main');
  main.className = 'auth';
  main.innerHTML = `
    <h1></h1>
    <p class="muted already" hidden></p>
    <form class="auth-form" novalidate>
      <label for="name">Name</label>
      <input id="name" name="username" type="text" required minlength="2" maxlength="32" autocomplete="username" autocapitalize="off" spellcheck="false">
      <p class="hint" id="name-hint"></p>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" required maxlength="${MAX_PASSWORD_CHARS}">
      <p class="hint" id="password-hint"></p>
      <p id="auth-error" class="error" role="alert" hidden></p>
      <button type="submit" id="auth-submit" class="primary"></button>
    </form>
    <p class="auth-switch"></p>`;
  root.append(main);
  const form = main.querySelector('form') as HTMLFormElement;
  form.id = registering ? 'register-form' : 'signin-form';
  form.setAttribute('aria-labelledby', 'auth-heading');
  const heading = main.querySelector('h1') as HTMLElement;
  heading.id = 'auth-heading';
  heading.textContent = registering ? 'Create your Tandem account' : 'Sign in to Tandem';
  const name = byId<HTMLInputElement>(main, 'name');
  const password = byId<HTMLInputElement>(main, 'password');
  const error = byId<HTMLElement>(main, 'auth-error');
  const submit = byId<HTMLButtonElement>(main, 'auth-submit');
  const idle = registering ? 'Create account' : 'Sign in';
  submit.textContent = idle;
  password.autocomplete = registering ? 'new-password' : 'current-password';
  byId(main, 'name-hint').textContent = registering ? 'Others see this name and can @mention you with it: 2–32 letters, digits, "_", "." or "-".' : '';
  byId(main, 'password-hint').textContent = registering ? 'At least 8 characters; not a common password and not containing your name.' : '';
  name.setAttribute('aria-describedby', 'name-hint');
  password.setAttribute('aria-describedby', 'password-hint');

  const other = main.querySelector('.auth-switch') as HTMLElement;
  const link = document.createElement('a');
  link.href = `${registering ? '/signin' : '/register'}${nextQuery}`;
  link.textContent = registering ? 'Sign in' : 'Create an account';
  other.append(registering ? 'Already have an account? ' : 'New here? ', link);

  if (session.user !== null) {
    const already = main.querySelector('.already') as HTMLElement;
    already.hidden = false;
    already.textContent = `You are signed in as ${session.user.name}. ${registering ? 'Creating an account' : 'Signing in'} here switches this browser to that account.`;
  }

  const showError = (text: string, field: HTMLInputElement | null): void => {
    error.textContent = text;
    error.hidden = false;
    name.removeAttribute('aria-invalid');
    password.removeAttribute('aria-invalid');
    if (field !== null) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const credentials = { name: name.value.trim(), password: password.value };
    if (credentials.name === '') return showError('Enter your name.', name);
    if (credentials.password === '') return showError('Enter your password.', password);
    if (registering) {
      const nameProblem = userNameProblem(credentials.name);
      if (nameProblem !== null) return showError(nameProblem, name);
      const problem = passwordProblem(credentials.password, credentials.name);
      if (problem !== null) return showError(problem, password);
    }
    submit.disabled = true;
    submit.textContent = registering ? 'Creating account…' : 'Signing in…';
    try {
      await (registering ? register(credentials) : signIn(credentials));
      // Checked once more where it is used: only ever a page of this origin.
      const target = new URL(next, location.origin);
      location.assign(target.origin === location.origin ? target.href : '/');
    } catch (err) {
      const status = (err as { status?: number }).status;
      const code = (err as { code?: string }).code;
      const field = code === 'invalid_name' || code === 'name_taken' ? name : code === 'weak_password' ? password : null;
      showError((err as Error).message, status === 401 ? password : field);
      submit.disabled = false;
      submit.textContent = idle;
    }
  });
  name.focus();
}
