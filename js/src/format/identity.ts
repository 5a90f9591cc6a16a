/**
 * Who a name belongs to, in marks a display name cannot forge: a short tag derived from the
 * user id, and a check for names that read the same as another participant's.
 */
import { fnv1a } from "./text";

// Characters with no width or no visible form (format characters, controls, the odd spaces):
// dropped when comparing names, since a reader cannot see them either.
const UNSEEN = /[\p{Cf}\p{Cc}\u034F\u115F\u1160\u180E\u3164]/gu;
const SELF_MARK = /\(\s*you\s*\)$/u;

/** The form two names are compared in: NFKC, unseen characters gone, spaces collapsed, case folded, a trailing "(you)" dropped. */
export function nameKey(name: string): string {
  const folded = name.normalize("NFKC").replace(UNSEEN, "").replace(/\s+/gu, " ").trim().toLowerCase();
  return folded.replace(SELF_MARK, "").trim();
}

/** "#a3f1": four hex digits of the user id's hash, the same for a person in every view. */
export function idTag(userId: string): string {
  return `#${(fnv1a(userId) & 0xffff).toString(16).padStart(4, "0")}`;
}

export interface Person {
  userId: string;
  displayName: string;
}

/** The names in view (participants, yourself, senders in the window), to find lookalikes. */
export class Identities {
  private readonly owners = new Map<string, Set<string>>();

  constructor(people: Iterable<Person> = []) {
    for (const person of people) this.add(person);
  }

  add({ userId, displayName }: Person): void {
    const key = nameKey(displayName);
    let owners = this.owners.get(key);
    if (!owners) this.owners.set(key, (owners = new Set()));
    owners.add(userId);
  }

  /** Whether someone else in view has a name that reads the same as this one. */
  collides(person: Person): boolean {
    const owners = this.owners.get(nameKey(person.displayName));
    return owners !== undefined && [...owners].some((id) => id !== person.userId);
  }

  /** The user ids whose names collide with another's, sorted: a cheap signature of what to mark. */
  colliding(): string[] {
    const ids: string[] = [];
    for (const owners of this.owners.values()) if (owners.size > 1) ids.push(...owners);
    return ids.sort();
  }
}
