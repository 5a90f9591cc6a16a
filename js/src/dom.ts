/**
 * The only way this package builds DOM: createElement + textContent + setAttribute.
 * Markup strings are never parsed, and event-handler attributes are refused outright.
 */
export type Child = Node | string | null | undefined | false;

export interface Props {
  className?: string;
  text?: string;
  attrs?: Record<string, string | number | boolean | undefined>;
}

export function setAttr(el: Element, name: string, value: string | number | boolean | undefined): void {
  if (/^on/i.test(name)) throw new Error(`refusing to set event-handler attribute ${name}`);
  if (value === undefined || value === false) el.removeAttribute(name);
  else el.setAttribute(name, value === true ? "" : String(value));
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.attrs) for (const [name, value] of Object.entries(props.attrs)) setAttr(el, name, value);
  if (props.text !== undefined) el.textContent = props.text;
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** A button with a text label or an icon plus an accessible label. */
export function button(label: string, options: { className?: string; icon?: string; title?: string } = {}): HTMLButtonElement {
  const el = h("button", { className: options.className ?? "rtkw-button", attrs: { type: "button" } });
  if (options.icon) {
    el.textContent = options.icon;
    setAttr(el, "aria-label", label);
    setAttr(el, "title", options.title ?? label);
  } else {
    el.textContent = label;
    if (options.title) setAttr(el, "title", options.title);
  }
  return el;
}

/** Adds a listener and records its removal, so a view can undo everything it attached. */
export class Listeners {
  private readonly removers: (() => void)[] = [];

  on<K extends keyof HTMLElementEventMap>(
    target: HTMLElement | Document | Window,
    type: K,
    listener: (event: HTMLElementEventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void {
    target.addEventListener(type, listener as EventListener, options);
    this.removers.push(() => target.removeEventListener(type, listener as EventListener, options));
  }

  add(remove: () => void): void {
    this.removers.push(remove);
  }

  removeAll(): void {
    for (const remove of this.removers.splice(0).reverse()) remove();
  }
}
