import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, setBearerToken } from './api.ts';
import { ViewerContext } from './app-context.ts';
import { useRoute } from './router.ts';
import { Shell } from './shell.tsx';
import { ErrorNote } from './ui.tsx';
import './styles.css';

/**
 * The portal URL's fragment carries a single-use code. It is read once, wiped from the address
 * bar and history, and traded for a token that lives in this page's memory only: a reload needs
 * a new portal URL from the tenant's application, by design.
 */
const code = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('code');
if (code) window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/overview`);
const exchange = code
  ? api.portal.exchange(code)
  : Promise.reject(new Error('This page opens from a portal link; ask for a new one.'));

function PortalApp() {
  const route = useRoute();
  const [customer, setCustomer] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    exchange.then((session) => {
      setBearerToken(session.token);
      setCustomer(session.customerExternalId);
    }, setError);
  }, []);
  if (error) {
    return (
      <main className="sign-in">
        <h1>Portal</h1>
        <ErrorNote error={error} />
      </main>
    );
  }
  if (!customer) return <p aria-busy="true">Opening the portal…</p>;
  return (
    <ViewerContext.Provider value={{ kind: 'customer', customerExternalId: customer }}>
      <Shell route={route} title="Delivery portal" who={customer} />
    </ViewerContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <PortalApp />
  </StrictMode>,
);
