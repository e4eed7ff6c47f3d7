import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, type ConsoleSession, SluiceProblem, setOperatorRoutes } from './api.ts';
import { ViewerContext } from './app-context.ts';
import { SignInPage } from './pages/sign-in.tsx';
import { useRoute } from './router.ts';
import { Shell } from './shell.tsx';
import './styles.css';

function ConsoleApp() {
  const route = useRoute();
  const [session, setSession] = useState<ConsoleSession | null>();
  useEffect(() => {
    api.session.current().then(setSession, (error: unknown) => {
      if (error instanceof SluiceProblem && error.status === 401) setSession(null);
      else setSession(null);
    });
  }, []);
  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  if (session === null) return <SignInPage onSignedIn={setSession} />;
  setOperatorRoutes(session.kind === 'operator');
  const viewer =
    session.kind === 'operator'
      ? ({ kind: 'operator' } as const)
      : ({ kind: 'tenant', tenantName: session.tenantName } as const);
  const signOut = () => api.session.signOut().finally(() => setSession(null));
  return (
    <ViewerContext.Provider value={viewer}>
      <Shell
        route={route}
        title="Sluice console"
        who={session.kind === 'operator' ? 'Operator' : `Tenant ${session.tenantName ?? ''}`}
        onSignOut={signOut}
      />
    </ViewerContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ConsoleApp />
  </StrictMode>,
);
