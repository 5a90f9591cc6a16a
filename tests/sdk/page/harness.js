"use strict";
// Test harness around the official RealtimeKit SDK. Python drives it with page.evaluate and
// waits on `rtkHarness.events` with page.wait_for_function; nothing here sleeps.
(() => {
  const events = [];
  let meeting = null;

  const plainMessage = (m) => m && {
    id: m.id,
    type: m.type,
    userId: m.userId,
    displayName: m.displayName,
    message: m.message,
    html: m.html,
    link: m.link,
    name: m.name,
    size: m.size,
    pinned: Boolean(m.pinned),
    isEdited: Boolean(m.isEdited),
    targetUserIds: m.targetUserIds || [],
    timeMs: m.timeMs,
    time: m.time instanceof Date ? m.time.getTime() : null,
  };

  const plainError = (e) => ({ name: e && e.name, code: e && e.code, message: String(e && e.message) });

  const record = (kind, fields) => events.push({ kind, ...fields });

  // `match` maps dotted paths to expected values, e.g. {"action": "add", "message.message": "hi"}.
  const matches = (event, match) => Object.entries(match).every(([path, want]) => {
    const got = path.split(".").reduce((obj, key) => (obj == null ? undefined : obj[key]), event);
    return JSON.stringify(got) === JSON.stringify(want);
  });

  const listen = (m) => {
    m.chat.on("chatUpdate", ({ action, message }) => record("chatUpdate", { action, message: plainMessage(message) }));
    m.chat.on("pinMessage", ({ message }) => record("pinMessage", { message: plainMessage(message) }));
    m.chat.on("unpinMessage", ({ message }) => record("unpinMessage", { message: plainMessage(message) }));
    m.participants.joined.on("participantJoined", (p) => record("participantJoined", { userId: p.userId, peerId: p.id, name: p.name }));
    m.participants.joined.on("participantLeft", (p) => record("participantLeft", { userId: p.userId, peerId: p.id, name: p.name }));
  };

  const selfInfo = () => ({
    peerId: meeting.self.id,
    userId: meeting.self.userId,
    name: meeting.self.name,
    presetName: meeting.self.presetName,
    roomState: meeting.self.roomState,
    roomJoined: meeting.self.roomJoined,
  });

  // Runs an SDK call and returns {ok, value} or {ok: false, error}, so Python sees the SDK's own error.
  const attempt = async (fn) => {
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      return { ok: false, error: plainError(e) };
    }
  };

  const fileFrom = (bytes, name, type) => new File([new Uint8Array(bytes)], name, { type });

  window.rtkHarness = {
    events,
    find: (kind, match) => events.find((e) => e.kind === kind && matches(e, match)) || null,
    count: (kind, match) => events.filter((e) => e.kind === kind && matches(e, match)).length,
    init: (authToken, baseURI) => attempt(async () => {
      meeting = await RealtimeKitClient.init({ authToken, baseURI, defaults: { audio: false, video: false } });
      window.meeting = meeting;
      listen(meeting);
      return selfInfo();
    }),
    join: () => attempt(async () => {
      await meeting.join();
      return selfInfo();
    }),
    leave: () => attempt(() => meeting.leave()),
    self: () => selfInfo(),
    peerIdOf: (userId) => {
      const peer = meeting.participants.joined.toArray().find((p) => p.userId === userId);
      return peer ? peer.id : null;
    },
    joinedUserIds: () => meeting.participants.joined.toArray().map((p) => p.userId),
    sendText: (text, peerIds) => attempt(() => meeting.chat.sendTextMessage(text, peerIds)),
    sendImage: (bytes, name, type, peerIds) => attempt(() => meeting.chat.sendImageMessage(fileFrom(bytes, name, type), peerIds)),
    sendFile: (bytes, name, type, peerIds) => attempt(() => meeting.chat.sendFileMessage(fileFrom(bytes, name, type), peerIds)),
    // `size` deterministic bytes (i * 31 mod 251) made in the page, so big files need no transfer from Python.
    sendGeneratedFile: (size, name, type) => attempt(() => {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 31) % 251;
      return meeting.chat.sendFileMessage(new File([bytes], name, { type }));
    }),
    sendCustom: (payload, peerIds) => attempt(() => meeting.chat.sendCustomMessage(payload, peerIds)),
    editText: (id, text) => attempt(() => meeting.chat.editTextMessage(id, text)),
    remove: (id) => attempt(() => meeting.chat.deleteMessage(id)),
    pin: (id) => attempt(() => meeting.chat.pin(id)),
    unpin: (id) => attempt(() => meeting.chat.unpin(id)),
    fetchPublic: (opts) => attempt(async () => (await meeting.chat.fetchPublicMessages(opts)).map(plainMessage)),
    fetchPrivate: (opts) => attempt(async () => (await meeting.chat.fetchPrivateMessages(opts)).map(plainMessage)),
    fetchPinned: (opts) => attempt(async () => (await meeting.chat.fetchPinnedMessages(opts)).map(plainMessage)),
    chatMessages: () => meeting.chat.messages.map(plainMessage),
    // Loads `url` in an <img> (never via innerHTML) and reports its natural size.
    loadImage: (url) => new Promise((resolve) => {
      const img = document.createElement("img");
      img.onload = () => resolve({ ok: true, width: img.naturalWidth, height: img.naturalHeight });
      img.onerror = () => resolve({ ok: false, width: 0, height: 0 });
      img.src = url;
      document.body.appendChild(img);
    }),
  };
})();
