import { remove as removeConfusables } from 'confusables';

// Why a package: Unicode's confusables data (UTS #39) covers thousands of look-alikes across scripts
// (Cyrillic "а" for Latin "a", Greek "Ι" for "l"…); `confusables` (MIT, no dependencies) ships a
// maintained map of them to Latin. Its map leaves ASCII alone, so the few ASCII look-alikes UTS #39
// lists (below) are folded here.

/**
 * ASCII look-alikes from Unicode's confusables.txt that the package does not fold, applied in order
 * to the lower-cased name. Names are unique case-insensitively, so "I" (capital i) is lower-cased
 * first: i, l, 1 and | are one class, as are o and 0.
 */
const ASCII_LOOKALIKES: Array<[RegExp, string]> = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/[il1|]/g, 'l'],
  [/0/g, 'o'],
];

/**
 * The form under which two user names look alike: NFKC, every confusable character replaced by the
 * Latin letter it imitates (diacritics dropped), lower case, then ASCII look-alikes folded. "admin",
 * "ADMIN", "аdmin" (Cyrillic а), "adm1n", "admIn" and "ａdmin" all have the skeleton "admln": only
 * one of them can be registered. Used to refuse new names only: existing ones keep signing in by
 * their exact (userNameKey) form, even two made before this rule that look alike.
 */
export function userNameSkeleton(name: string): string {
  let folded = removeConfusables(name.normalize('NFKC')).normalize('NFKC').toLowerCase();
  for (const [pattern, replacement] of ASCII_LOOKALIKES) folded = folded.replace(pattern, replacement);
  return folded;
}
