/** The page's `online`, `offline` and `visibilitychange` events, where there is a page. */

export interface PageHandlers {
  online(): void;
  offline(): void;
  /** The tab became visible. */
  visible(): void;
}

/** Listens to the page's events; returns what stops listening (nothing to stop without a page). */
export function listenToPage(handlers: PageHandlers): () => void {
  const target = globalThis as unknown as Partial<EventTarget> & { document?: Document };
  if (typeof target.addEventListener !== 'function') return () => {};
  const online = () => handlers.online();
  const offline = () => handlers.offline();
  const visibility = () => {
    if (target.document?.visibilityState === 'visible') handlers.visible();
  };
  target.addEventListener('online', online);
  target.addEventListener('offline', offline);
  target.addEventListener('visibilitychange', visibility);
  return () => {
    target.removeEventListener?.('online', online);
    target.removeEventListener?.('offline', offline);
    target.removeEventListener?.('visibilitychange', visibility);
  };
}
