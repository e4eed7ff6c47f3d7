import { useState } from 'react';
import { api, type Destination, type TestResult } from '../api.ts';
import { useViewer } from '../app-context.ts';
import { href, navigate } from '../router.ts';
import { Badge, CopyBlock, ErrorNote, Section, useLoad, When } from '../ui.tsx';
import { describeRules, OpenAlerts } from './alerts.tsx';
import { DestinationForm } from './destination-form.tsx';
import { HeldGroups } from './held-groups.tsx';

const resourceOf = (destination: Destination) =>
  String(destination.config.queueUrl ?? destination.config.topicArn ?? destination.config.streamArn ?? '');

/** One destination: step 2 of the guided setup (the role), the Test button, pause and resume. */
export function DestinationPage(props: { id: string; editing: boolean; setupOpen: boolean }) {
  const destination = useLoad(() => api.destinations.get(props.id), [props.id]);
  if (destination.error) return <ErrorNote error={destination.error} />;
  if (!destination.data) return <p aria-busy="true">Loading…</p>;
  if (props.editing) return <DestinationForm existing={destination.data} />;
  return <DestinationView destination={destination.data} setupOpen={props.setupOpen} reload={destination.reload} />;
}

function DestinationView(props: { destination: Destination; setupOpen: boolean; reload: () => void }) {
  const { destination } = props;
  const health = destination.health;
  const viewer = useViewer();
  const [error, setError] = useState<unknown>();
  const [portalUrl, setPortalUrl] = useState<string>();
  const act = (action: Promise<unknown>) => action.then(props.reload, setError);
  const remove = () => {
    if (!window.confirm(`Delete ${destination.name}? Its pending deliveries go to the dead-letter queue.`)) return;
    api.destinations.remove(destination.id).then(() => navigate('/destinations'), setError);
  };
  const openPortal = () =>
    api.portal.open(destination.customerExternalId).then((session) => setPortalUrl(session.url), setError);
  return (
    <>
      <Section
        title={destination.name}
        actions={
          <div className="toolbar">
            <a className="button" href={href('destinations', destination.id, 'messages')}>
              Messages
            </a>
            <a className="button" href={`${href('destinations', destination.id)}?edit=1`}>
              Edit
            </a>
            {destination.status === 'paused' ? (
              <button type="button" onClick={() => act(api.destinations.resume(destination.id))}>
                Resume
              </button>
            ) : (
              <button type="button" onClick={() => act(api.destinations.pause(destination.id))}>
                Pause
              </button>
            )}
            <button type="button" className="danger" onClick={remove}>
              Delete
            </button>
          </div>
        }
      >
        <ErrorNote error={error} />
        <dl className="details">
          <dt>Status</dt>
          <dd>
            <Badge value={destination.status} />
          </dd>
          {health && (
            <>
              <dt>Health</dt>
              <dd>
                <Badge value={health.state} /> since <When at={health.since} /> {health.detail}
              </dd>
            </>
          )}
          {destination.alerts && (
            <>
              <dt>Alerts when</dt>
              <dd>{describeRules(destination.alerts)}</dd>
            </>
          )}
          <dt>Type</dt>
          <dd>{destination.type}</dd>
          <dt>Customer</dt>
          <dd className="mono">{destination.customerExternalId}</dd>
          <dt>Resource</dt>
          <dd className="mono">{resourceOf(destination)}</dd>
          {destination.fifo && (
            <>
              <dt>When a message dies</dt>
              <dd>
                {destination.fifo.onDeadLetter === 'hold'
                  ? 'its group waits for it (hold)'
                  : 'its group goes on (skip)'}
              </dd>
            </>
          )}
          <dt>Event types</dt>
          <dd>{destination.eventTypes?.join(', ') ?? 'all'}</dd>
          <dt>Rate limit</dt>
          <dd>{destination.rateLimit ? `${destination.rateLimit.perSecond} messages per second` : 'none'}</dd>
          {destination.auth.mode === 'assume_role' && (
            <>
              <dt>Role</dt>
              <dd className="mono">{destination.auth.roleArn}</dd>
              <dt>ExternalId</dt>
              <dd className="mono" data-testid="external-id">
                {destination.auth.externalId}
              </dd>
            </>
          )}
        </dl>
        {viewer.kind === 'tenant' && (
          <p>
            <button type="button" onClick={openPortal}>
              Open the portal for {destination.customerExternalId}
            </button>
            {portalUrl && (
              <a className="portal-link" href={portalUrl} target="_blank" rel="noreferrer">
                Portal link (single use, 5 minutes)
              </a>
            )}
          </p>
        )}
      </Section>
      <Section title="Open alerts">
        <OpenAlerts destinationId={destination.id} />
      </Section>
      {destination.fifo && (
        <Section title="Held groups">
          <HeldGroups destinationId={destination.id} onDeadLetter={destination.fifo.onDeadLetter} />
        </Section>
      )}
      <SetupStep destinationId={destination.id} open={props.setupOpen} />
      <TestStep destinationId={destination.id} />
    </>
  );
}

function SetupStep(props: { destinationId: string; open: boolean }) {
  const setup = useLoad(() => api.destinations.setup(props.destinationId), [props.destinationId]);
  return (
    <details className="panel" open={props.open}>
      <summary>
        <h2>2. Create the role in your AWS account</h2>
      </summary>
      <ErrorNote error={setup.error} />
      {setup.data && (
        <>
          <p>
            Sluice assumes your role as <code>{setup.data.principal}</code>, and only with this destination's ExternalId{' '}
            <code>{setup.data.externalId}</code>. Create the role with the CloudFormation template, or paste the two
            policies in the IAM console.
          </p>
          {setup.data.cloudFormationTemplate && (
            <CopyBlock
              title="CloudFormation template"
              text={setup.data.cloudFormationTemplate}
              fileName={`sluice-${setup.data.roleName ?? 'role'}.yaml`}
            />
          )}
          {setup.data.trustPolicy && (
            <CopyBlock title="Trust policy" text={JSON.stringify(setup.data.trustPolicy, null, 2)} />
          )}
          <CopyBlock title="Permissions policy" text={JSON.stringify(setup.data.permissionsPolicy, null, 2)} />
        </>
      )}
    </details>
  );
}

function TestStep(props: { destinationId: string }) {
  const [result, setResult] = useState<TestResult>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = () => {
    setBusy(true);
    setError(undefined);
    api.destinations
      .test(props.destinationId)
      .then(setResult, setError)
      .finally(() => setBusy(false));
  };
  return (
    <Section
      title="3. Test"
      actions={
        <button type="button" onClick={run} disabled={busy}>
          {busy ? 'Testing…' : 'Test'}
        </button>
      }
    >
      <p>Assumes the role, reads the destination's attributes and sends one message of type sluice.test.</p>
      <ErrorNote error={error} />
      {result && (
        <div role="status" aria-label="Test result">
          <p className={result.ok ? 'ok' : 'error'}>
            {result.ok ? `Passed in ${Math.round(result.latencyMs)} ms` : `Failed: ${result.error?.message ?? ''}`}
          </p>
          <ul className="checks">
            {result.checks.map((check) => (
              <li key={check.name} className={check.ok ? 'ok' : 'error'}>
                <strong>
                  {check.ok ? '✓' : '✗'} {check.name}
                </strong>
                : {check.detail}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Section>
  );
}
