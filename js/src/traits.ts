/**
 * Readers for the synced traits of `rtk_widget.widget.ChatWidget` (their types are generated
 * from the Python side). Values come from the kernel or from a saved notebook (which anyone can
 * craft), so every reader below normalises instead of trusting the shape.
 */
import type {
  ChatTraits,
  ConnectionDetail,
  Limits,
  MediaMode,
  Participant,
  Permissions,
  SelfInfo,
} from "./protocol.generated";

export type { ChatTraits, ConnectionDetail, Limits, MediaMode, Participant, Permissions, SelfInfo };

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
  if (!v || typeof v.userId !== "string" || !v.userId) return null;
  const p = record(v.permissions) ?? {};
  return {
    userId: v.userId,
    displayName: str(v.displayName, v.userId),
    permissions: {
      canPin: bool(p.canPin, false),
      canSend: bool(p.canSend, true),
      canSendFiles: bool(p.canSendFiles, true),
      canSendPrivate: bool(p.canSendPrivate, true),
    },
  };
}

export function readParticipants(value: unknown): Participant[] {
  if (!Array.isArray(value)) return [];
  const out: Participant[] = [];
  for (const item of value) {
    const v = record(item);
    if (v && typeof v.userId === "string" && v.userId) {
      out.push({ userId: v.userId, displayName: str(v.displayName, v.userId) });
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
  if (typeof v.retryAfterMs === "number") error.retryAfterMs = v.retryAfterMs;
  return error;
}

export function readLimits(value: unknown): Limits {
  const v = record(value);
  if (!v) return DEFAULT_LIMITS;
  const max = v.maxTextLength;
  const upload = v.maxUploadBytes;
  return {
    maxTextLength: typeof max === "number" && max > 0 ? Math.floor(max) : DEFAULT_LIMITS.maxTextLength,
    maxUploadBytes: typeof upload === "number" && upload > 0 ? upload : null,
  };
}

export function readMediaMode(value: unknown): MediaMode {
  return value === "kernel" || value === "direct" ? value : "auto";
}

export function readString(value: unknown): string {
  return str(value);
}

export function readConnectionDetail(value: unknown): ConnectionDetail | null {
  const v = record(value);
  if (!v || typeof v.state !== "string") return null;
  const next = v.nextAttemptAt;
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
