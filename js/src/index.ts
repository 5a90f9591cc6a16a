/**
 * The anywidget entry point for `rtk_widget.widget.ChatWidget`.
 *
 * Model-level wiring (one comm listener, one pending-request map, one store) happens in
 * `initialize`, so every view of the same model shares it; `render` only builds DOM.
 */
import type { Initialize, Render } from "@anywidget/types";
import { echoFeedPosition } from "./feed-echo";
import { Invoker } from "./invoke";
import { MediaCache } from "./media";
import { ChatSession } from "./session";
import type { ChatTraits } from "./traits";
import { mountPanel } from "./view/panel";
import "./styles.css";

interface ModelRuntime {
  session: ChatSession;
  media: MediaCache;
  dispose(): void;
}

const runtimes = new WeakMap<object, ModelRuntime>();

function createRuntime(model: Parameters<Initialize<ChatTraits>>[0]["model"]): ModelRuntime {
  const invoker = new Invoker(model);
  const session = new ChatSession(invoker);
  const media = new MediaCache(invoker);
  const stopEcho = echoFeedPosition(model, session.store);
  return {
    session,
    media,
    dispose: () => {
      stopEcho();
      session.dispose();
      media.dispose();
      invoker.dispose();
    },
  };
}

const initialize: Initialize<ChatTraits> = ({ model }) => {
  const runtime = createRuntime(model);
  runtimes.set(model, runtime);
  return () => {
    runtime.dispose();
    runtimes.delete(model);
  };
};

const render: Render<ChatTraits> = ({ model, el }) => {
  let runtime = runtimes.get(model);
  if (!runtime) {
    // Hosts without `initialize` support still get a working view.
    runtime = createRuntime(model);
    runtimes.set(model, runtime);
  }
  const panel = mountPanel(el, { model, session: runtime.session, media: runtime.media });
  return () => panel.destroy();
};

export default { initialize, render };
