import { afterEach, vi } from "vitest";
import type { Panel } from "../src/view/panel";

/**
 * The panels a test file mounts: after each test they are destroyed, the page is emptied and
 * real timers are back. Call once at the top of the file and push every panel you mount.
 */
export function mountedPanels(): Panel[] {
  const panels: Panel[] = [];
  afterEach(() => {
    for (const panel of panels.splice(0)) panel.destroy();
    document.body.replaceChildren();
    vi.useRealTimers();
  });
  return panels;
}
