/**
 * Display helpers for strings that come from other people (names, file names).
 */

// Bidi embeddings/overrides/isolates, directional marks and zero-width characters can make
// `evil‮gnp.js` read as `evilsj.png`; line/paragraph separators and spaces other than U+0020
// (a no-break space looks like a space) let one name pass for another. All are replaced by a
// visible `<U+XXXX>` marker.
const INVISIBLE =
  /[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u2060-\u2064\uFEFF\u061C\u2028\u2029\u00A0\u00AD\u034F\u115F\u1160\u1680\u180E\u2000-\u200A\u202F\u205F\u3000\u3164]/g;
// C0/C1 controls (tabs and newlines included): a name is one line.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;

function codePointLabel(ch: string): string {
  return `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/** Makes invisible and direction-changing characters visible. */
export function neutralise(value: string): string {
  return value.replace(INVISIBLE, codePointLabel).replace(CONTROL, codePointLabel);
}

export const MAX_NAME_LENGTH = 80;

/**
 * A sender or file name made safe to show as one line of text. Markers go in before the
 * trim, so only plain spaces are dropped: a leading U+FEFF or line separator stays visible.
 */
export function displayText(value: string, maxLength = MAX_NAME_LENGTH): string {
  const clean = neutralise(value).replace(/^ +| +$/g, "");
  const chars = Array.from(clean);
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join("")}…` : clean;
}

/** Up to two initials for an avatar, from letters or digits only. */
export function initials(name: string): string {
  const words = name
    .replace(INVISIBLE, "")
    .split(/\s+/u)
    .map((w) => Array.from(w).find((ch) => /[\p{L}\p{N}]/u.test(ch)))
    .filter((ch): ch is string => ch !== undefined);
  if (words.length === 0) return "?";
  const picked = words.length === 1 ? [words[0]!] : [words[0]!, words[words.length - 1]!];
  return picked.join("").toUpperCase();
}

/** A stable hue per user id, so a person keeps their avatar colour across sessions. */
export function avatarHue(userId: string): number {
  return fnv1a(userId) % 360;
}

/** 32-bit FNV-1a of a string's UTF-16 units: a cheap, stable hash for colours and tags. */
export function fnv1a(value: string): number {
  let hash = 2166136261;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

/** Length as Python counts it (code points), so the counter agrees with the kernel's limit. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
