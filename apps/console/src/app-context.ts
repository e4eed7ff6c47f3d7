import { createContext, useContext } from 'react';

/** Who is looking: the operator, a tenant's administrator (console), or one customer (portal). */
export type Viewer =
  | { kind: 'operator' }
  | { kind: 'tenant'; tenantName: string | null }
  | { kind: 'customer'; customerExternalId: string };

export const ViewerContext = createContext<Viewer>({ kind: 'operator' });
export const useViewer = () => useContext(ViewerContext);
