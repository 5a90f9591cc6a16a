import { button, h, setAttr } from "../dom";
import { renderRichText } from "../format/markdown";
import { type Identities, idTag } from "../format/identity";
import { formatSize } from "../format/size";
import { avatarHue, displayText, initials, neutralise } from "../format/text";
import { formatFullTime, formatRelativeTime } from "../format/time";
import { type MediaCache, loadImage } from "../media";
import type { WireMessage } from "../protocol";
import type { PendingSend } from "../store";
import type { MediaAccess } from "../media-access";
import type { Row } from "./rows";

/** Action names carried in `data-action`; the panel handles clicks by delegation. */
export const ACTIONS = {
  edit: "edit",
  saveEdit: "save-edit",
  cancelEdit: "cancel-edit",
  askDelete: "ask-delete",
  confirmDelete: "confirm-delete",
  cancelDelete: "cancel-delete",
  pin: "pin",
  unpin: "unpin",
  openImage: "open-image",
  download: "download",
  discard: "discard",
  retry: "retry",
  cancelUpload: "cancel-upload",
} as const;

/** What a row needs to know about the viewer and the panel's state. */
export interface RowContext {
  selfId: string | null;
  canPin: boolean;
  /** A participant's display name, or null for an id nobody in the meeting has now. */
  nameOf(userId: string): string | null;
  mediaAccess: MediaAccess;
  media: MediaCache;
  now: number;
  editingId: string | null;
  confirmingDeleteId: string | null;
  /** Names in view, so a sender whose name reads like someone else's is marked. */
  identities: Identities;
}

/** A text button; `accessibleName` adds context for screen readers ("Edit" → "Edit message"). */
function actionButton(action: string, label: string, accessibleName?: string): HTMLButtonElement {
  const el = button(label, { className: "rtkw-button" });
  if (accessibleName) setAttr(el, "aria-label", accessibleName);
  el.dataset.action = action;
  return el;
}

/** People's names for a list of user ids: known ones by name, the unknown ones only counted. */
function namesOf(ids: readonly string[], nameOf: RowContext["nameOf"]): { names: string[]; unknown: number } {
  const names: string[] = [];
  for (const id of ids) {
    const name = nameOf(id);
    if (name) names.push(displayText(name, 40));
  }
  return { names, unknown: ids.length - names.length };
}

function others(count: number): string {
  return `${count} other${count > 1 ? "s" : ""}`;
}

/**
 * Who a private message is for: "to Bob" on yours, "to you" / "to you, Carol" on those you
 * received, "private" when nobody else in it is known. Never shows a raw user id.
 */
export function audienceLabel(message: WireMessage, ctx: Pick<RowContext, "selfId" | "nameOf">): string | null {
  if (message.targetUserIds.length === 0) return null;
  // RealtimeKit lists the sender among the targets; neither the sender nor you are "others".
  const audience = [...new Set(message.targetUserIds)].filter((id) => id !== message.userId && id !== ctx.selfId);
  const { names, unknown } = namesOf(audience, ctx.nameOf);
  if (message.userId === ctx.selfId) {
    if (names.length === 0) return "private";
    return `to ${names.join(", ")}${unknown ? ` and ${others(unknown)}` : ""}`;
  }
  if (ctx.selfId === null || !message.targetUserIds.includes(ctx.selfId)) return "private";
  const rest = [...names, ...(unknown ? [others(unknown)] : [])];
  return rest.length ? `to you, ${rest.join(", ")}` : "to you";
}

/**
 * Who sent it, in a mark no display name can forge: a "You" badge (styled unlike any name) on
 * your own messages, a tag from the user id on everyone else's, flagged when the name reads
 * like another participant's (or like yours).
 */
export function identityMark(message: WireMessage, own: boolean, ctx: Pick<RowContext, "identities">): HTMLElement {
  if (own) return h("span", { className: "rtkw-you", text: "You", attrs: { title: "Sent by you" } });
  const lookalike = ctx.identities.collides({ userId: message.userId, displayName: message.displayName || message.userId });
  const tag = h("span", {
    className: `rtkw-id-tag${lookalike ? " rtkw-lookalike" : ""}`,
    text: lookalike ? `⚠ ${idTag(message.userId)}` : idTag(message.userId),
    attrs: {
      title: lookalike
        ? "Another participant's name reads the same as this one; the tag (from the user id) tells them apart"
        : "Tag from this person's user id",
    },
  });
  if (lookalike) setAttr(tag, "aria-label", `${idTag(message.userId)}, a different person with a similar name`);
  return tag;
}

function header(message: WireMessage, own: boolean, ctx: RowContext): HTMLElement {
  const name = displayText(message.displayName || message.userId);
  const avatar = h("div", { className: "rtkw-avatar", text: initials(message.displayName), attrs: { "aria-hidden": "true" } });
  avatar.style.backgroundColor = `hsl(${avatarHue(message.userId)} 55% 42%)`;
  const time = h("time", {
    className: "rtkw-time",
    text: formatRelativeTime(message.time, ctx.now),
    attrs: { datetime: new Date(message.time).toISOString(), title: formatFullTime(message.time) },
  });
  // The feed's timer refreshes the relative text from this, without rendering the row again.
  time.dataset.ms = String(message.time);
  const audience = audienceLabel(message, ctx);
  // Name and marks flow as one line of text beside the avatar, wrapping (never clipping) when narrow.
  return h("div", { className: "rtkw-header" }, [
    avatar,
    h("div", { className: "rtkw-who" }, [
      h("bdi", { className: "rtkw-name", text: name }),
      identityMark(message, own, ctx),
      time,
      audience ? h("span", { className: "rtkw-badge rtkw-private", text: audience }) : null,
    ]),
  ]);
}

/** "PDF" for report.pdf: a short type label instead of an icon font. */
export function extensionLabel(name: string): string {
  const match = /\.([\p{L}\p{N}]{1,5})$/u.exec(name.trim());
  return match ? match[1]!.toUpperCase() : "FILE";
}

function fileCard(name: string, size: number | undefined, action: string, label: string): HTMLElement {
  const shown = displayText(name || "file", 120);
  const download = actionButton(action, label, `${label} ${shown}`);
  return h("div", { className: "rtkw-file" }, [
    h("span", { className: "rtkw-file-icon", text: extensionLabel(name), attrs: { "aria-hidden": "true" } }),
    h("span", { className: "rtkw-file-info" }, [
      h("bdi", { className: "rtkw-file-name", text: shown, attrs: { title: neutralise(name || "file") } }),
      h("span", { className: "rtkw-file-size", text: size === undefined ? "" : formatSize(size) }),
    ]),
    download,
  ]);
}

function imageBody(message: WireMessage, ctx: RowContext): HTMLElement {
  const name = displayText(message.name || "image", 120);
  const img = h("img", { className: "rtkw-image", attrs: { alt: name, loading: "lazy", decoding: "async" } });
  const open = h("button", { className: "rtkw-image-button", attrs: { type: "button", "aria-label": `Open image ${name}` } }, [img]);
  open.dataset.action = ACTIONS.openImage;
  const wrapper = h("div", { className: "rtkw-image-wrapper" }, [open]);
  if (message.link) {
    loadImage(img, message.link, ctx.mediaAccess, ctx.media, () => {
      wrapper.replaceChildren(
        h("span", { className: "rtkw-media-error", text: "Image unavailable" }),
        fileCard(message.name ?? "image", message.size, ACTIONS.download, "Download"),
      );
    });
  }
  return wrapper;
}

function body(message: WireMessage, ctx: RowContext): HTMLElement {
  switch (message.type) {
    case "image":
      return imageBody(message, ctx);
    case "file":
      return fileCard(message.name ?? "file", message.size, ACTIONS.download, "Download");
    default: {
      const text = h("div", { className: "rtkw-text", attrs: { dir: "auto" } });
      text.appendChild(renderRichText(message.text ?? ""));
      return text;
    }
  }
}

function editor(message: WireMessage): HTMLElement {
  const input = h("textarea", { className: "rtkw-edit-input", attrs: { "aria-label": "Edit message", rows: 2 } });
  input.value = message.text ?? "";
  input.dataset.role = "edit-input";
  return h("div", { className: "rtkw-editor" }, [
    input,
    h("div", { className: "rtkw-editor-buttons" }, [
      h("span", { className: "rtkw-hint", text: "Enter to save, Escape to cancel" }),
      actionButton(ACTIONS.cancelEdit, "Cancel"),
      actionButton(ACTIONS.saveEdit, "Save"),
    ]),
  ]);
}

function actions(message: WireMessage, own: boolean, ctx: RowContext): HTMLElement | null {
  if (ctx.confirmingDeleteId === message.id) {
    return h("div", { className: "rtkw-confirm", attrs: { role: "group", "aria-label": "Confirm delete" } }, [
      h("span", { text: "Delete this message?" }),
      actionButton(ACTIONS.confirmDelete, "Delete"),
      actionButton(ACTIONS.cancelDelete, "Cancel"),
    ]);
  }
  const buttons: HTMLButtonElement[] = [];
  if (own && message.type === "text") buttons.push(actionButton(ACTIONS.edit, "Edit", "Edit message"));
  if (ctx.canPin && message.targetUserIds.length === 0) {
    buttons.push(message.pinned ? actionButton(ACTIONS.unpin, "Unpin", "Unpin message") : actionButton(ACTIONS.pin, "Pin", "Pin message"));
  }
  if (own) buttons.push(actionButton(ACTIONS.askDelete, "Delete", "Delete message"));
  if (buttons.length === 0) return null;
  return h("div", { className: "rtkw-actions", attrs: { role: "toolbar", "aria-label": "Message actions" } }, buttons);
}

function marks(message: WireMessage): HTMLElement | null {
  if (!message.edited && !message.pinned) return null;
  return h("div", { className: "rtkw-marks" }, [
    message.pinned ? h("span", { className: "rtkw-badge rtkw-pinned", text: "Pinned" }) : null,
    message.edited ? h("span", { className: "rtkw-edited", text: "(edited)" }) : null,
  ]);
}

function renderMessage(row: Extract<Row, { kind: "message" }>, ctx: RowContext): HTMLElement[] {
  const { message, own } = row;
  const parts: HTMLElement[] = [];
  if (row.groupStart) parts.push(header(message, own, ctx));
  else parts.push(h("span", { className: "rtkw-sr", text: `${displayText(message.displayName)}:` }));
  const bubble = h("div", { className: "rtkw-bubble" }, [
    ctx.editingId === message.id ? editor(message) : body(message, ctx),
    marks(message),
  ]);
  const toolbar = actions(message, own, ctx);
  // The toolbar sits beside the bubble, so showing it on hover never changes the row's height.
  parts.push(h("div", { className: "rtkw-line" }, [bubble, toolbar]));
  return parts;
}

function renderPending(pending: PendingSend): HTMLElement[] {
  const what = pending.kind === "text" ? pending.text ?? "" : displayText(pending.fileName ?? "file", 120);
  const content = h("div", { className: "rtkw-text", text: what, attrs: { dir: "auto" } });
  const status =
    pending.status === "failed"
      ? h("div", { className: "rtkw-pending-status rtkw-failed" }, [
          h("span", { text: `Not sent: ${pending.error?.message ?? "unknown error"}` }),
          actionButton(ACTIONS.retry, "Retry", "Retry sending"),
          actionButton(ACTIONS.discard, "Dismiss", "Dismiss this unsent message"),
        ])
      : h("div", { className: "rtkw-pending-status" }, [
          h("span", { text: pending.progress !== undefined && pending.progress < 1 ? "Uploading…" : "Sending…" }),
          pending.progress !== undefined
            ? h("progress", { attrs: { max: 1, value: pending.progress, "aria-label": "Upload progress" } })
            : null,
          pending.progress !== undefined && pending.progress < 1 ? actionButton(ACTIONS.cancelUpload, "Cancel", "Cancel upload") : null,
        ]);
  return [h("div", { className: "rtkw-bubble" }, [content, status])];
}

/** Builds the `<article>` for one row of the feed; `setSize` is -1 while older history is unloaded. */
export function renderRow(row: Row, index: number, setSize: number, ctx: RowContext): HTMLElement {
  const own = row.kind === "pending" || row.own;
  const article = h("article", {
    className: `rtkw-row${own ? " rtkw-own" : ""}${row.kind === "pending" ? " rtkw-pending" : ""}${
      row.kind === "message" && row.groupStart ? " rtkw-group-start" : ""
    }`,
    attrs: { tabindex: -1, "aria-posinset": index + 1, "aria-setsize": setSize },
  });
  article.dataset.key = row.key;
  setAttr(article, "aria-busy", row.kind === "pending" && row.pending.status === "sending");
  for (const part of row.kind === "message" ? renderMessage(row, ctx) : renderPending(row.pending)) {
    article.appendChild(part);
  }
  return article;
}
