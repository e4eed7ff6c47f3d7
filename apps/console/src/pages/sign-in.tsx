import { type FormEvent, useState } from 'react';
import { api, type ConsoleSession } from '../api.ts';
import { ErrorNote, Field, fieldErrorsOf } from '../ui.tsx';

/** The key is sent once, in a POST body; the browser keeps only the HttpOnly session cookie. */
export function SignInPage(props: { onSignedIn: (session: ConsoleSession) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    api.session.signIn(key).then(
      (session) => {
        setKey('');
        props.onSignedIn(session);
      },
      (failure: unknown) => {
        setError(failure);
        setBusy(false);
      },
    );
  };
  return (
    <main className="sign-in">
      <h1>Sluice console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <Field
          label="API key"
          name="key"
          type="password"
          value={key}
          onChange={setKey}
          required
          error={fieldErrorsOf(error).get('key')}
          hint="The operator key or a tenant key with the admin scope. It is exchanged for a one-hour session and not stored by the browser."
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || key.length === 0}>
          Sign in
        </button>
      </form>
    </main>
  );
}
