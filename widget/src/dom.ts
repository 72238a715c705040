/*
 * Builds DOM nodes from data. The widget never parses HTML (no innerHTML), so text from
 * the API or the attendee can only ever become text; and it never sets a `style`
 * attribute, which a partner's CSP without 'unsafe-inline' would refuse.
 */

type AttributeValue = string | number | boolean | null | undefined;
export type Attributes = Record<string, AttributeValue> & { style?: never };
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** An http(s) URL from the API, or null: a link never gets a javascript: or data: href. */
export function safeHref(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A link that opens in a new tab and says so to screen readers. */
export function externalLink(href: string, text: string, attributes: Attributes = {}): HTMLAnchorElement {
  return h("a", { href, target: "_blank", rel: "noopener noreferrer", part: "link", ...attributes }, text, h("span", { class: "visually-hidden" }, " (opens in a new tab)"));
}
