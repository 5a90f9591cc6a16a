// @vitest-environment jsdom
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Invoker } from "../src/invoke";
import { MediaCache, downloadAttachment, loadImage } from "../src/media";
import { type MediaAccess, browserUrl } from "../src/media-access";
import { ChatSession } from "../src/session";
import { readTrustedOrigins } from "../src/traits";
import { mountPanel } from "../src/view/panel";
import { FakeKernel, makeMessage } from "./fake-kernel";
import { installFakeLayout } from "./fake-layout";
import { mountedPanels } from "./mounted";

beforeAll(() => {
  installFakeLayout();
  let n = 0;
  URL.createObjectURL = vi.fn(() => `blob:http://localhost/${++n}`);
  URL.revokeObjectURL = vi.fn();
});

const mounted = mountedPanels();
let clicked: string[] = [];
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  clicked = [];
});

const MEETING = "http://127.0.0.1:8123";
const FOREIGN = "http://127.0.0.1:9999/tracker.png";
const auto = (origins: unknown = [MEETING]): MediaAccess => ({ mode: "auto", trustedOrigins: readTrustedOrigins(origins) });

function setup() {
  const kernel = new FakeKernel();
  const invoker = new Invoker(kernel);
  return { kernel, invoker, cache: new MediaCache(invoker) };
}

/** An img that records every value assigned to `src`, so a test sees even one set and reset. */
function watchedImage(): { img: HTMLImageElement; sources: () => string[] } {
  const img = document.createElement("img");
  const assigned: string[] = [];
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src")!;
  Object.defineProperty(img, "src", {
    get: () => src.get!.call(img),
    set: (value: string) => {
      assigned.push(value);
      src.set!.call(img, value);
    },
  });
  return { img, sources: () => assigned };
}

function stubFetch(): ReturnType<typeof vi.fn> {
  const fake = vi.fn(async () => new Response(new Blob([new Uint8Array([1, 2, 3])])));
  vi.stubGlobal("fetch", fake);
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push(this.href);
  });
  return fake;
}

describe("which links the browser loads itself", () => {
  it("auto: only http(s) links on a trusted origin, compared as the browser spells origins", () => {
    const access = auto(["http://127.0.0.1:8123", "https://files.example:443", "javascript:alert(1)", 42, "not a url"]);
    expect([...access.trustedOrigins]).toEqual(["http://127.0.0.1:8123", "https://files.example"]);
    expect(browserUrl(`${MEETING}/files/a.png`, access)?.href).toBe(`${MEETING}/files/a.png`);
    expect(browserUrl("https://FILES.example/b.png", access)?.href).toBe("https://files.example/b.png");
    for (const link of [FOREIGN, "http://127.0.0.1/a.png", "https://127.0.0.1:8123/a.png", "http://files.example/b.png",
      "mailto:x@files.example", "javascript:alert(1)"]) {
      expect(browserUrl(link, access)).toBeNull();
    }
    expect(readTrustedOrigins(null).size).toBe(0);
  });

  it("direct: every http(s) link; kernel: none", () => {
    expect(browserUrl(FOREIGN, { mode: "direct", trustedOrigins: new Set() })?.href).toBe(FOREIGN);
    expect(browserUrl("data:image/png;base64,AAAA", { mode: "direct", trustedOrigins: new Set() })).toBeNull();
    expect(browserUrl(`${MEETING}/a.png`, { mode: "kernel", trustedOrigins: auto().trustedOrigins })).toBeNull();
  });
});

describe("loadImage in auto mode", () => {
  it("never points the img at an untrusted origin: the kernel is asked and its refusal shows as unavailable", async () => {
    const { kernel, cache } = setup();
    kernel.failNext.set("media", { code: "forbidden", message: "the kernel fetches attachments only from the meeting's own file hosts" });
    const { img, sources } = watchedImage();
    const failed = vi.fn();
    loadImage(img, FOREIGN, auto(), cache, failed);
    await vi.waitFor(() => expect(failed).toHaveBeenCalledOnce());
    expect(sources()).toEqual([]);
    expect(img.getAttribute("src")).toBeNull();
    expect(kernel.requests("media").map((r) => r.content.msg)).toEqual([{ link: FOREIGN }]);
  });

  it("loads a trusted origin's link itself, without the kernel", () => {
    const { kernel, cache } = setup();
    const { img, sources } = watchedImage();
    loadImage(img, `${MEETING}/files/a.png`, auto(), cache, () => {});
    expect(sources()).toEqual([`${MEETING}/files/a.png`]);
    expect(img.referrerPolicy).toBe("no-referrer");
    expect(kernel.requests("media")).toEqual([]);
  });
});

describe("downloadAttachment in auto mode", () => {
  it("never fetches an untrusted origin: the file comes through the kernel", async () => {
    const { kernel, cache } = setup();
    const fetched = stubFetch();
    await downloadAttachment(FOREIGN, "t.png", auto(), cache);
    expect(fetched).not.toHaveBeenCalled();
    expect(kernel.requests("media").map((r) => r.content.msg)).toEqual([{ link: FOREIGN }]);
    expect(clicked).toHaveLength(1);
    expect(clicked[0]).toMatch(/^blob:/);
  });

  it("a refused untrusted link fails without the browser fetching it", async () => {
    const { kernel, cache } = setup();
    kernel.failNext.set("media", { code: "forbidden", message: "refused" });
    const fetched = stubFetch();
    await expect(downloadAttachment(FOREIGN, "t.png", auto(), cache)).rejects.toThrow("refused");
    expect(fetched).not.toHaveBeenCalled();
    expect(clicked).toEqual([]);
  });

  it("fetches a trusted origin's link itself, without the kernel", async () => {
    const { kernel, cache } = setup();
    const fetched = stubFetch();
    await downloadAttachment(`${MEETING}/files/r.pdf`, "r.pdf", auto(), cache);
    expect(fetched).toHaveBeenCalledWith(`${MEETING}/files/r.pdf`, { credentials: "omit", referrerPolicy: "no-referrer" });
    expect(kernel.requests("media")).toEqual([]);
  });
});

describe("the panel", () => {
  it("follows trusted_media_origins: an image goes through the kernel until its origin is trusted", async () => {
    const kernel = new FakeKernel();
    const link = "http://files.example/cat.png";
    kernel.load([makeMessage(1, { type: "image", name: "cat.png", link, text: undefined })]);
    kernel.traits.set("media_mode", "auto");
    kernel.traits.set("trusted_media_origins", [MEETING]);
    const invoker = new Invoker(kernel);
    const el = document.createElement("div");
    document.body.appendChild(el);
    const panel = mountPanel(el, { model: kernel, session: new ChatSession(invoker), media: new MediaCache(invoker), measure: () => 40 });
    mounted.push(panel);
    const src = (): string | null | undefined => panel.root.querySelector("article[data-key='m1'] img")?.getAttribute("src");
    await vi.waitFor(() => expect(src()).toMatch(/^blob:/));
    expect(kernel.requests("media").map((r) => r.content.msg)).toEqual([{ link }]);

    kernel.set("trusted_media_origins", [MEETING, "http://files.example:80"]);
    await vi.waitFor(() => expect(src()).toBe(link));
    expect(kernel.requests("media")).toHaveLength(1);
  });
});
