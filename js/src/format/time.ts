const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Clock time for today, "Yesterday 14:05", or a short date with time for older messages. */
export function formatMessageTime(ms: number, now: number = Date.now()): string {
  const date = new Date(ms);
  const clock = date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const today = startOfDay(now);
  if (ms >= today) return clock;
  if (ms >= today - DAY) return `Yesterday ${clock}`;
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  const day = date.toLocaleDateString(undefined, sameYear ? { month: "short", day: "numeric" } : { dateStyle: "medium" });
  return `${day} ${clock}`;
}

/**
 * "just now" and "5 min" for the last hour (what a reader of a live chat wants), then the clock
 * time, "Yesterday 14:05" or a date, as `formatMessageTime`.
 */
export function formatRelativeTime(ms: number, now: number = Date.now()): string {
  const age = now - ms;
  // A clock a little ahead of the server's still reads "just now".
  if (age < MINUTE && age > -MINUTE) return "just now";
  if (age >= MINUTE && age < 60 * MINUTE) return `${Math.floor(age / MINUTE)} min`;
  return formatMessageTime(ms, now);
}

/** How often relative times are refreshed: they change by the minute at the finest. */
export const RELATIVE_TIME_REFRESH_MS = 30_000;

/** The full date and time, for tooltips. */
export function formatFullTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "full", timeStyle: "medium" });
}

/** "in 12 s" style wait for rate limits. */
export function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

export const GROUP_WINDOW_MS = 5 * MINUTE;
