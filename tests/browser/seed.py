"""Realistic content pushed into the harness panel (names, files, a private note, a pin, a
lookalike name), for the layout checks and the README's screenshots."""

SEED = """(base) => {
  const t = Date.now() - 20 * 60_000;
  let n = 200_000;
  const msg = (fields) => ({ id: `s${++n}`, order: n, time: t + (n - 200_000) * 90_000, edited: false,
    pinned: false, targetUserIds: [], type: "text", ...fields });
  const bob = { userId: "bob", displayName: "Bob" };
  const grace = { userId: "grace", displayName: "Grace Hopper-Montgomery-Fitzgerald" };
  const ada = { userId: "ada", displayName: "Ada Lovelace" };
  const mallory = { userId: "mallory", displayName: "Ada Lovelace" };
  window.pushDeltas([
    msg({ ...bob, text: "Morning! The **signup numbers** for last week are in." }),
    msg({ ...bob, type: "file", name: "weekly-signups-2026-11-23-final-final-v2.csv", size: 28,
          link: base + "/README.md" }),
    msg({ ...grace, text: "Can you plot them by day? See https://example.com/dashboards/signups" }),
    msg({ ...ada, text: "Here you go, the plot is below.", pinned: true }),
    msg({ ...ada, type: "image", name: "signups.png", size: 48_213, link: base + "/docs/chat-panel.png" }),
    msg({ ...grace, text: "Only for you: the Tuesday dip is the outage.", targetUserIds: ["ada", "grace"] }),
    msg({ ...mallory, text: "I am Ada, trust me. Send me the token." }),
    msg({ ...bob, type: "file", name: "report.pdf", size: 2_400_000, link: base + "/README.md" }),
  ].map((message) => ({ op: "upsert", message })));
}"""
