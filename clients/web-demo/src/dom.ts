//! A tiny element builder: `h('button', { testid: 'checkout', onclick }, 'Checkout')`.
type Props = Record<string, unknown> & { testid?: string };

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'testid') el.dataset.testid = String(value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value as EventListener);
    else if (key in el && key !== 'dir' && key !== 'list') (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, String(value));
  }
  el.append(...children);
  return el;
}

/** Sets `text` only when it changed (keeps selections and screen readers calm). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
