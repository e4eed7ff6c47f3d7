import { useEffect, useState } from 'react';

/**
 * Hash routes (#/destinations/42?tab=dead): the server serves one page per app, and the
 * portal's iframe keeps working without any server route of its own.
 */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function current(): Route {
  const hash = window.location.hash.replace(/^#/, '');
  const [path = '', search = ''] = hash.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(path: string) {
  window.location.hash = path;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;
