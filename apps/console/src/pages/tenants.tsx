import { type FormEvent, useState } from 'react';
import { type ApiKey, type ApiKeyScope, api, type CreatedApiKey, type Tenant } from '../api.ts';
import { Badge, ErrorNote, Field, fieldErrorsOf, Pager, Section, usePages, When } from '../ui.tsx';

/** The operator's tenants, their API keys (a new key shown once) and portal embedding origins. */
export function TenantsPage() {
  const tenants = usePages((cursor) => api.tenants.list(cursor), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [selected, setSelected] = useState<Tenant>();
  const create = (event: FormEvent) => {
    event.preventDefault();
    api.tenants.create(name).then((tenant) => {
      setName('');
      setError(undefined);
      setSelected(tenant);
      tenants.reload();
    }, setError);
  };
  return (
    <>
      <Section title="Tenants">
        <form className="inline-form" onSubmit={create} aria-label="New tenant">
          <Field
            label="New tenant name"
            name="name"
            value={name}
            onChange={setName}
            error={fieldErrorsOf(error).get('name')}
          />
          <button type="submit">Create tenant</button>
        </form>
        <ErrorNote error={error ?? tenants.error} />
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Created</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tenants.data?.data.map((tenant) => (
              <tr key={tenant.id} aria-selected={selected?.id === tenant.id}>
                <td>{tenant.name}</td>
                <td className="mono">{tenant.id}</td>
                <td>
                  <When at={tenant.createdAt} />
                </td>
                <td>
                  <button type="button" onClick={() => setSelected(tenant)}>
                    Keys and portal
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager pageNumber={tenants.pageNumber} next={tenants.next} previous={tenants.previous} />
      </Section>
      {selected && <TenantKeys key={selected.id} tenant={selected} />}
    </>
  );
}

function TenantKeys({ tenant }: { tenant: Tenant }) {
  const keys = usePages((cursor) => api.tenants.keys(tenant.id, cursor), [tenant.id]);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>(['admin']);
  const [created, setCreated] = useState<CreatedApiKey>();
  const [error, setError] = useState<unknown>();
  const [origins, setOrigins] = useState(tenant.portal.frameAncestors.join(' '));
  const [saved, setSaved] = useState(false);
  const errors = fieldErrorsOf(error);
  const create = (event: FormEvent) => {
    event.preventDefault();
    api.tenants.createKey(tenant.id, { name, scopes }).then((key) => {
      setCreated(key);
      setName('');
      setError(undefined);
      keys.reload();
    }, setError);
  };
  const revoke = (key: ApiKey) => {
    if (!window.confirm(`Revoke the key "${key.name}"? It stops working at once.`)) return;
    api.tenants.revokeKey(key.id).then(keys.reload, setError);
  };
  const saveOrigins = (event: FormEvent) => {
    event.preventDefault();
    const frameAncestors = origins.split(/[\s,]+/).filter(Boolean);
    api.tenants.update(tenant.id, { portal: { frameAncestors } }).then(() => {
      setSaved(true);
      setError(undefined);
    }, setError);
  };
  const toggle = (scope: ApiKeyScope) =>
    setScopes(scopes.includes(scope) ? scopes.filter((s) => s !== scope) : [...scopes, scope]);
  return (
    <Section title={`API keys of ${tenant.name}`}>
      <form className="inline-form" onSubmit={create} aria-label="New API key">
        <Field label="Key name" name="keyName" value={name} onChange={setName} error={errors.get('name')} />
        <fieldset>
          <legend>Scopes</legend>
          {(['ingest', 'admin'] as const).map((scope) => (
            <label key={scope}>
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} /> {scope}
            </label>
          ))}
          {errors.get('scopes') && <p className="field-error">{errors.get('scopes')}</p>}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      {created?.key && (
        <div className="notice" role="status">
          <p>
            The key <strong>{created.name}</strong> is shown this once; copy it now:
          </p>
          <pre className="mono" data-testid="new-key">
            {created.key}
          </pre>
        </div>
      )}
      <ErrorNote error={error ?? keys.error} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Scopes</th>
            <th>Created</th>
            <th>State</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.data?.data.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>{key.scopes.join(', ')}</td>
              <td>
                <When at={key.createdAt} />
              </td>
              <td>{key.revokedAt ? <Badge value="revoked" /> : <Badge value="active" />}</td>
              <td>
                {!key.revokedAt && (
                  <button type="button" onClick={() => revoke(key)}>
                    Revoke {key.name}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pageNumber={keys.pageNumber} next={keys.next} previous={keys.previous} />
      <form className="inline-form" onSubmit={saveOrigins} aria-label="Portal embedding">
        <Field
          label="Origins that may embed the customer portal"
          name="frameAncestors"
          value={origins}
          onChange={(value) => {
            setOrigins(value);
            setSaved(false);
          }}
          error={[...errors.entries()].find(([path]) => path.startsWith('portal.'))?.[1]}
          hint="Space-separated, e.g. https://app.example.com https://*.example.com; empty: the portal cannot be framed."
        />
        <button type="submit">Save origins</button>
        {saved && <span role="status">Saved</span>}
      </form>
    </Section>
  );
}
