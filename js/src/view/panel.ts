import { Listeners, h } from "../dom";
import { RequestError } from "../invoke";
import { KINDS } from "../protocol";
import { displayText } from "../format/text";
import { type MediaCache, downloadAttachment } from "../media";
import type { WireMessage } from "../protocol";
import type { ChatSession } from "../session";
import { pinnedMessages } from "../store";
import {
  type TraitSource,
  readConnectionDetail,
  readHeight,
  readLastError,
  readLimits,
  readMediaMode,
  readParticipants,
  readSelfInfo,
  readString,
  readTrustedOrigins,
} from "../traits";
import { Composer } from "./composer";
import { keepKeysInside } from "./host-keys";
import { Feed, type Viewer } from "./feed";
import { Lightbox } from "./lightbox";
import { PinnedBar } from "./pinned-bar";
import { Liveness } from "./liveness";
import { StatusArea } from "./status";
import { ReplayControls, asReplayModel } from "./replay-controls";

export interface PanelDeps {
  model: TraitSource;
  session: ChatSession;
  media: MediaCache;
  /** Overrides row measurement (tests use a fake layout). */
  measure?(el: HTMLElement): number;
}

/** The mounted panel, for tests; `destroy` removes everything it added. */
export interface Panel {
  root: HTMLElement;
  feed: Feed;
  composer: Composer;
  /** A past session's replay controls, shown instead of the composer (null for a live chat). */
  replay: ReplayControls | null;
  status: StatusArea;
  pinned: PinnedBar;
  lightbox: Lightbox;
  destroy(): void;
}

const TRAIT_EVENTS = [
  "self_info",
  "participants",
  "limits",
  "media_mode",
  "trusted_media_origins",
  "connection_state",
  "connection_detail",
  "height",
  "last_error",
  "title",
] as const;

/** How long a ping may go unanswered before the kernel counts as not answering. */
const PING_TIMEOUT_MS = 8_000;
/** Failures that mean nobody answered; any other error is an answer from a live kernel. */
const NO_ANSWER = new Set(["timeout", "disconnected", "aborted"]);

/** False only when the host says the model has no comm (ipywidgets' `comm_live`). */
function commLive(model: TraitSource): boolean {
  return (model as { comm_live?: unknown }).comm_live !== false;
}

/** Builds the chat panel in `el` from the model-level session and returns its handle. */
export function mountPanel(el: HTMLElement, deps: PanelDeps): Panel {
  const { model, session, media } = deps;
  const listeners = new Listeners();

  const viewer = (): Viewer => {
    const self = readSelfInfo(model.get("self_info"));
    const participants = readParticipants(model.get("participants"));
    const names = new Map(participants.map((p) => [p.userId, p.displayName]));
    return {
      people: self ? [...participants, { userId: self.userId, displayName: self.displayName }] : participants,
      selfId: self?.userId ?? null,
      canPin: self?.permissions.canPin ?? false,
      mediaAccess: {
        mode: readMediaMode(model.get("media_mode")),
        trustedOrigins: readTrustedOrigins(model.get("trusted_media_origins")),
      },
      maxTextLength: readLimits(model.get("limits")).maxTextLength,
      nameOf: (userId) => names.get(userId) ?? null,
    };
  };

  const title = h("h2", { className: "rtkw-title" });
  const status = new StatusArea(async () => {
    try {
      await session.invoker.request(KINDS.reconnect, {}, { timeoutMs: 60_000 });
    } catch (error) {
      showError(error instanceof RequestError ? error : { code: "internal", message: String(error) });
    }
  });
  const lightbox = new Lightbox(el);
  const showError = (error: { code: string; message: string; retryAfterMs?: number }): void => status.showError(error);

  const openImage = (src: string, message: WireMessage): void => {
    const name = displayText(message.name || "image", 120);
    lightbox.open(src, `${name} — shared by ${displayText(message.displayName)}`, () => {
      if (message.link) {
        downloadAttachment(message.link, message.name ?? "image", viewer().mediaAccess, media).catch((e: unknown) =>
          showError({ code: "internal", message: `Download failed: ${String(e)}` }),
        );
      }
    });
  };

  const feed = new Feed({ session, media, viewer, openImage, showError, ...(deps.measure ? { measure: deps.measure } : {}) });
  const pinned = new PinnedBar((id) => void feed.jumpTo(id, { focus: true }));
  const composer = new Composer({
    onSend: ({ text, files, to }) => {
      status.clearError();
      void feed.jumpToLatest();
      void (async () => {
        for (const file of files) await session.sendAttachment({ file, name: file.name || "pasted file" }, to);
        if (text) await session.sendText(text, to);
      })();
    },
    onEditLast: () => feed.editLast(),
    onRejectFile: (message) => showError({ code: "upload_refused", message }),
  });

  // A past session (ReplayWidget) is read-only: replay controls where the composer would be.
  const replayModel = asReplayModel(model);
  const replay = replayModel ? new ReplayControls(replayModel) : null;
  const label = replay ? "Past meeting chat (replay)" : "Meeting chat";
  const root = h("section", { className: "rtkw-root", attrs: { "aria-label": label } }, [
    h("header", { className: "rtkw-top" }, [title, status.el]),
    pinned.el,
    feed.el,
    replay ? replay.el : composer.el,
  ]);
  el.appendChild(root);
  keepKeysInside(root);

  // A model restored from a saved notebook has its last traits but no comm: nobody will answer.
  let kernelLive = commLive(model);
  // Traits outlive the kernel that set them: "connected" is shown only while the kernel answers.
  const liveness = new Liveness(model, {
    ping: () =>
      session.invoker.request(KINDS.ping, {}, { timeoutMs: PING_TIMEOUT_MS }).catch((error: unknown) => {
        if (!(error instanceof RequestError) || NO_ANSWER.has(error.code)) throw error;
      }),
    onChange: (state) => {
      // An answer overrules an earlier silence (a first page that timed out while the kernel was busy).
      if (state === "proven" && !kernelLive && commLive(model)) {
        kernelLive = true;
        if (!session.state.loaded) void feed.load();
      }
      applyTraits();
      if (state === "none") feed.showNotConnected();
    },
  });
  listeners.add(() => liveness.destroy());
  const applyTraits = (): void => {
    const self = readSelfInfo(model.get("self_info"));
    title.textContent = displayText(readString(model.get("title")) || "Chat", 120);
    status.show({
      state: readString(model.get("connection_state")),
      detail: readConnectionDetail(model.get("connection_detail")),
      kernel: kernelLive ? liveness.state : "none",
    });
    root.style.height = readHeight(model.get("height")) ?? "";
    const limits = readLimits(model.get("limits"));
    composer.setLimits(limits.maxTextLength, limits.maxUploadBytes);
    composer.setParticipants(readParticipants(model.get("participants")), self?.userId ?? null, self?.displayName);
    composer.setPermissions(
      self?.permissions.canSend ?? true,
      self?.permissions.canSendFiles ?? true,
      self?.permissions.canSendPrivate ?? true,
    );
  };
  const onTraitChange = (): void => {
    applyTraits();
    feed.rerender();
  };
  const onLastError = (): void => {
    const error = readLastError(model.get("last_error"));
    if (error) showError(error);
  };
  for (const name of TRAIT_EVENTS) {
    const handler = name === "last_error" ? onLastError : onTraitChange;
    model.on(`change:${name}`, handler);
    listeners.add(() => model.off(`change:${name}`, handler));
  }
  applyTraits();
  onLastError();

  const render = (): void => {
    const state = session.state;
    feed.sync(state);
    pinned.update(pinnedMessages(state));
  };
  listeners.add(session.store.subscribe(render));
  const notConnected = (): void => {
    kernelLive = false;
    applyTraits();
    feed.showNotConnected();
  };
  listeners.add(
    session.onError((error) => {
      // Before anything loaded, silence means no kernel, which is a state, not an alarm.
      if (error.code === "timeout" && !session.state.loaded) notConnected();
      else showError(error);
    }),
  );
  const onCommLive = (): void => {
    kernelLive = commLive(model);
    liveness.setCommLive(kernelLive);
    if (!kernelLive) return notConnected();
    applyTraits();
    void feed.load();
  };
  model.on("comm_live_update", onCommLive);
  listeners.add(() => model.off("comm_live_update", onCommLive));
  listeners.add(session.onScrollTo((id) => void feed.jumpTo(id)));

  // Someone looking at the panel gets the truth now, not at the next scheduled ping.
  listeners.on(root, "pointerenter", () => liveness.checkIfQuiet());
  listeners.on(root, "focusin", () => liveness.checkIfQuiet());

  // Escape in the message list goes back to the composer (the inline editor handles its own).
  listeners.on(feed.el, "keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) composer.focus();
  });

  // Dropping or pasting files onto the panel attaches them to the draft.
  listeners.on(root, "dragover", (event) => {
    if (!replay && event.dataTransfer?.types.includes("Files")) {
      event.preventDefault();
      root.classList.add("rtkw-dropping");
    }
  });
  listeners.on(root, "dragleave", (event) => {
    if (event.target === root) root.classList.remove("rtkw-dropping");
  });
  listeners.on(root, "drop", (event) => {
    root.classList.remove("rtkw-dropping");
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0 || replay) return;
    event.preventDefault();
    composer.addFiles(files);
    composer.focus();
  });
  listeners.on(root, "paste", (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0 || replay) return;
    event.preventDefault();
    composer.addFiles(files);
  });

  render();
  liveness.setCommLive(kernelLive);
  if (kernelLive) void feed.load();
  else notConnected();

  return {
    root,
    feed,
    composer,
    replay,
    status,
    pinned,
    lightbox,
    destroy: () => {
      listeners.removeAll();
      lightbox.close();
      feed.destroy();
      composer.destroy();
      replay?.destroy();
      pinned.destroy();
      status.destroy();
      root.remove();
    },
  };
}
