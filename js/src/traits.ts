/**
 * Readers for the synced traits of `rtk_widget.widget.ChatWidget` (their types are generated
 * from the Python side). Values come from the kernel or from a saved notebook (which anyone can
 * craft), so every reader below normalises instead of trusting the shape.
 */
import type { ChatTraits, MediaMode } from "./protocol.generated";

export type { ChatTraits, MediaMode };

// The traits carry Python data, so their keys are snake_case (see ChatTraits); the panel's own
// types are camelCase like the rest of js/.
export interface Permissions {
  canPin: boolean;
  canSend: boolean;
  canSendFiles: boolean;
  canSendPrivate: boolean;
}

export interface SelfInfo {
  userId: string;
  displayName: string;
  permissions: Permissions;
}

export interface Participant {
  userId: string;
  displayName: string;
}

export interface Limits {
  maxTextLength: number;
  maxUploadBytes: number | null;
}

export interface ConnectionDetail {
  state: string;
  attempt: number;
  /** When the next attempt starts, in milliseconds since the epoch (while waiting to retry). */
  nextAttemptAt: number | null;
  reason: string | null;
}

export interface TraitError {
  code: string;
  message: string;
  retryAfterMs?: number;
}

export const DEFAULT_LIMITS: Limits = { maxTextLength: 2000, maxUploadBytes: null };

/** What the panel needs from a model; anywidget's `AnyModel<ChatTraits>` satisfies it. */
export interface TraitSource {
  get(name: string): unknown;
  on(event: string, callback: (...args: unknown[]) => void): void;
  off(event: string, callback: (...args: unknown[]) => void): void;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === "boolean" ? value : fallback;
}

export function readSelfInfo(value: unknown): SelfInfo | null {
  const v = record(value);
  if (!v || typeof v.user_id !== "string" || !v.user_id) return null;
  const p = record(v.permissions) ?? {};
  return {
    userId: v.user_id,
    displayName: str(v.display_name, v.user_id),
    permissions: {
      canPin: bool(p.can_pin, false),
      canSend: bool(p.can_send, true),
      canSendFiles: bool(p.can_send_files, true),
      canSendPrivate: bool(p.can_send_private, true),
    },
  };
}

export function readParticipants(value: unknown): Participant[] {
  if (!Array.isArray(value)) return [];
  const out: Participant[] = [];
  for (const item of value) {
    const v = record(item);
    if (v && typeof v.user_id === "string" && v.user_id) {
      out.push({ userId: v.user_id, displayName: str(v.display_name, v.user_id) });
    }
  }
  return out;
}

export function readLastError(value: unknown): TraitError | null {
  const v = record(value);
  if (!v) return null;
  const message = str(v.message);
  if (!message) return null;
  const error: TraitError = { code: str(v.code, "internal"), message };
  if (typeof v.retry_after_ms === "number") error.retryAfterMs = v.retry_after_ms;
  return error;
}

export function readLimits(value: unknown): Limits {
  const v = record(value);
  if (!v) return DEFAULT_LIMITS;
  const max = v.max_text_length;
  const upload = v.max_upload_bytes;
  return {
    maxTextLength: typeof max === "number" && max > 0 ? Math.floor(max) : DEFAULT_LIMITS.maxTextLength,
    maxUploadBytes: typeof upload === "number" && upload > 0 ? upload : null,
  };
}

export function readMediaMode(value: unknown): MediaMode {
  return value === "kernel" || value === "direct" ? value : "auto";
}

/** `trusted_media_origins` as the browser spells origins (`URL.origin`); anything but http(s) is dropped. */
export function readTrustedOrigins(value: unknown): ReadonlySet<string> {
  const origins = new Set<string>();
  if (!Array.isArray(value)) return origins;
  for (const item of value) {
    if (typeof item !== "string") continue;
    try {
      const url = new URL(item);
      if (url.protocol === "http:" || url.protocol === "https:") origins.add(url.origin);
    } catch {
      // Not a URL: trusts nothing.
    }
  }
  return origins;
}

export function readString(value: unknown): string {
  return str(value);
}

export function readConnectionDetail(value: unknown): ConnectionDetail | null {
  const v = record(value);
  if (!v || typeof v.state !== "string") return null;
  const next = v.next_attempt_at;
  return {
    state: v.state,
    attempt: typeof v.attempt === "number" && v.attempt >= 0 ? Math.floor(v.attempt) : 0,
    nextAttemptAt: typeof next === "number" && Number.isFinite(next) ? next : null,
    reason: typeof v.reason === "string" && v.reason ? v.reason : null,
  };
}

const CSS_LENGTH = /^\d+(\.\d+)?(px|em|rem|vh|svh|dvh|lh|%)$/;

/** The panel's height as CSS, or null for the stylesheet's default; anything else is ignored. */
export function readHeight(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return `${Math.round(value)}px`;
  if (typeof value === "string" && CSS_LENGTH.test(value.trim())) return value.trim();
  return null;
}
