// What a person would call broken in the panel, measured in the browser: parts of a message
// drawn over each other, a name cut off, a size split over two lines, a control outside the panel,
// the message box squeezed, the new-messages button over the list. Hidden toolbars (opacity 0)
// do not count. Evaluated by tests/jupyter/test_lab_screenshot.py; returns a list of problems.
() => {
  const root = document.querySelector('.rtkw-root');
  const box = (el) => el.getBoundingClientRect();
  const shown = (el) => { const r = box(el); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0'; };
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; };
  const outer = box(root);
  const problems = [];
  const parts = ['.rtkw-avatar', '.rtkw-name', '.rtkw-you', '.rtkw-id-tag', '.rtkw-time', '.rtkw-badge',
    '.rtkw-text', '.rtkw-file-icon', '.rtkw-file-name', '.rtkw-file-size', '.rtkw-file .rtkw-button',
    '.rtkw-image', '.rtkw-edited'].join(',');
  for (const row of root.querySelectorAll('article.rtkw-row')) {
    const els = [...row.querySelectorAll(parts)].filter(shown);
    els.forEach((a, i) => els.slice(i + 1).forEach((b) => {
      if (!a.contains(b) && !b.contains(a) && overlap(box(a), box(b)))
        problems.push(`${a.className} over ${b.className} in ${row.textContent.slice(0, 30)}`);
    }));
    for (const el of els) {
      if (box(el).right > outer.right + 0.5 || box(el).left < outer.left - 0.5) problems.push(`${el.className} outside`);
    }
  }
  for (const el of root.querySelectorAll('.rtkw-name')) {
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`name clipped: ${el.textContent}`);
  }
  for (const el of root.querySelectorAll('.rtkw-file-size')) if (lines(el) > 1) problems.push(`size wraps: ${el.textContent}`);
  for (const el of root.querySelectorAll('.rtkw-file-name')) if (box(el).width < 50) problems.push(`file name gone: ${el.title}`);
  const controls = [...root.querySelectorAll('.rtkw-recipient, .rtkw-input, .rtkw-composer .rtkw-button, .rtkw-send')].filter(shown);
  controls.forEach((a, i) => controls.slice(i + 1).forEach((b) => {
    if (overlap(box(a), box(b))) problems.push(`${a.className} over ${b.className}`);
  }));
  for (const el of controls) if (box(el).right > outer.right + 0.5) problems.push(`${el.className} outside`);
  if (box(root.querySelector('.rtkw-input')).width < 100) problems.push('message box under 100 px');
  const badge = root.querySelector('.rtkw-new-messages');
  if (shown(badge) && overlap(box(badge), box(root.querySelector('.rtkw-scroller')))) problems.push('badge over the list');
  return problems;
}
