import { useSyncExternalStore } from 'react';

const NAVIGATED = 'ioc:navigated';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATED, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATED, listener);
  };
}

const pathname = () => window.location.pathname;

/** The current path, following the back button and `navigate`. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, pathname);
}

/** Goes to another page of the console without reloading it. */
export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATED));
  window.scrollTo(0, 0);
}
