// Why a package: a real list of common and breached passwords, and the patterns attackers try first
// (keyboard walks, sequences, repeats, l33t spellings of listed words), is what zxcvbn-ts ships:
// @zxcvbn-ts/language-common holds the ranked password list of the original zxcvbn (from breach
// corpora) with English-independent dictionaries; @zxcvbn-ts/core estimates the guesses an attacker
// needs. Both MIT, about 3.7 MB together, loaded on the first registration only (not at start-up,
// not in the web app).

/** Fewer estimated guesses than this (zxcvbn's score 2: 10^6) is too easy to guess. */
const MIN_SCORE = 2;

type Checker = { check(password: string, userInputs?: Array<string | number>): { score: number } };
let checker: Promise<Checker> | null = null;

/** zxcvbn-ts with the common dictionaries, built once on first use. */
function loadChecker(): Promise<Checker> {
  checker ??= (async () => {
    const [{ ZxcvbnFactory }, common] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]);
    return new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  })();
  return checker;
}

/**
 * Why `password` is too easy to guess for the user `name` (it is a common or breached password, or
 * a pattern like "abcdefgh", "12341234", "qwertyui", "Passw0rd!", or built from the name), or null.
 * The cheap rules (length, repeated characters; shared/accounts.ts passwordProblem) come first.
 */
export async function guessablePasswordProblem(password: string, name: string): Promise<string | null> {
  const { score } = (await loadChecker()).check(password, [name]);
  if (score >= MIN_SCORE) return null;
  return 'That password is too easy to guess: it is a common password, or a simple pattern or word with a few changes. Choose a longer one, such as a few unrelated words.';
}
