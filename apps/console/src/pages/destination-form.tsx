import { type FormEvent, useState } from 'react';
import { api, type Destination, type DestinationType } from '../api.ts';
import { useViewer } from '../app-context.ts';
import { navigate } from '../router.ts';
import { ErrorNote, Field, fieldErrorsOf, Section } from '../ui.tsx';

/** The resource field of each type, and its optional ordering (or detail-type) field. */
const typeFields: Record<
  DestinationType,
  { resource: string; label: string; hint: string; order: string; orderLabel: string }
> = {
  sqs: {
    resource: 'queueUrl',
    label: 'Queue URL',
    hint: 'https://sqs.<region>.amazonaws.com/<account>/<name>; a name ending in .fifo is a FIFO queue',
    order: 'messageGroupIdField',
    orderLabel: 'FIFO group field (optional)',
  },
  sns: {
    resource: 'topicArn',
    label: 'Topic ARN',
    hint: 'arn:aws:sns:<region>:<account>:<name>',
    order: 'messageGroupIdField',
    orderLabel: 'FIFO group field (optional)',
  },
  kinesis: {
    resource: 'streamArn',
    label: 'Stream ARN',
    hint: 'arn:aws:kinesis:<region>:<account>:stream/<name>',
    order: 'partitionKeyField',
    orderLabel: 'Partition key field (optional)',
  },
  eventbridge: {
    resource: 'eventBusArn',
    label: 'Event bus ARN',
    hint: 'arn:aws:events:<region>:<account>:event-bus/<name>',
    order: 'detailTypeField',
    orderLabel: 'Detail type field (optional)',
  },
};

const isDestinationType = (value: string): value is DestinationType => value in typeFields;

/**
 * Step 1 of the guided setup: what and where. Saving creates the destination with a role ARN
 * the customer is about to create; step 2 (the destination's page) shows the ExternalId, the
 * trust policy and the CloudFormation template for that role.
 */
export function DestinationForm(props: { existing?: Destination }) {
  const viewer = useViewer();
  const existing = props.existing;
  const [type, setType] = useState<DestinationType>(existing?.type ?? 'sqs');
  const fields = typeFields[type];
  const [name, setName] = useState(existing?.name ?? '');
  const [customer, setCustomer] = useState(
    existing?.customerExternalId ?? (viewer.kind === 'customer' ? viewer.customerExternalId : ''),
  );
  const [resource, setResource] = useState(String(existing?.config[fields.resource] ?? ''));
  const [orderField, setOrderField] = useState(String(existing?.config[fields.order] ?? ''));
  const [roleArn, setRoleArn] = useState(existing?.auth.mode === 'assume_role' ? existing.auth.roleArn : '');
  const [eventTypes, setEventTypes] = useState(existing?.eventTypes?.join(' ') ?? '');
  const [onDeadLetter, setOnDeadLetter] = useState<'skip' | 'hold'>(existing?.fifo?.onDeadLetter ?? 'skip');
  // Only FIFO queues and topics have groups to hold (the API refuses the setting on others).
  const fifo = (type === 'sqs' || type === 'sns') && resource.trim().endsWith('.fifo');
  const [perSecond, setPerSecond] = useState(existing?.rateLimit ? String(existing.rateLimit.perSecond) : '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const config: Record<string, unknown> = { [fields.resource]: resource };
    if (orderField) config[fields.order] = orderField;
    else if (existing) config[fields.order] = null;
    const patterns = eventTypes.split(/[\s,]+/).filter(Boolean);
    const body = {
      name,
      config,
      auth: { mode: 'assume_role' as const, roleArn },
      eventTypes: patterns.length > 0 ? patterns : null,
      ...(fifo ? { fifo: { onDeadLetter } } : {}),
      // Not a number: sent as it is, so the API's answer names the field.
      rateLimit: perSecond.trim() === '' ? null : { perSecond: Number(perSecond.trim()) },
    };
    const saved = existing
      ? api.destinations.update(existing.id, body)
      : api.destinations.create({ ...body, customerExternalId: customer, type });
    saved.then(
      (destination) => navigate(`/destinations/${destination.id}${existing ? '' : '?setup=1'}`),
      (failure: unknown) => {
        setError(failure);
        setBusy(false);
      },
    );
  };

  return (
    <Section title={existing ? `Edit ${existing.name}` : 'New destination: 1. where to deliver'}>
      <form onSubmit={submit} aria-label={existing ? 'Edit destination' : 'New destination'} noValidate>
        <Field label="Name" name="name" value={name} onChange={setName} error={errors.get('name')} required />
        <Field
          label="Customer external id"
          name="customerExternalId"
          value={customer}
          onChange={setCustomer}
          readOnly={Boolean(existing) || viewer.kind === 'customer'}
          error={errors.get('customerExternalId')}
          hint="Events of this customer are delivered here."
        />
        <div className="field">
          <label htmlFor="destination-type">Type</label>
          <select
            id="destination-type"
            value={type}
            disabled={Boolean(existing)}
            onChange={(e) => {
              if (isDestinationType(e.target.value)) setType(e.target.value);
            }}
          >
            <option value="sqs">SQS queue</option>
            <option value="sns">SNS topic</option>
            <option value="kinesis">Kinesis stream</option>
            <option value="eventbridge">EventBridge event bus</option>
          </select>
        </div>
        <Field
          label={fields.label}
          name={fields.resource}
          value={resource}
          onChange={setResource}
          hint={fields.hint}
          error={errors.get(`config.${fields.resource}`) ?? errors.get('config')}
        />
        <Field
          label={fields.orderLabel}
          name={fields.order}
          value={orderField}
          onChange={setOrderField}
          hint={`A field of the event, dotted for nested ones (payload.orderId); default ${type === 'eventbridge' ? 'eventType' : 'customerExternalId'}`}
          error={errors.get(`config.${fields.order}`)}
        />
        {fifo && (
          <div className="field">
            <label htmlFor="fifo-on-dead-letter">When a message of a group dies</label>
            <select
              id="fifo-on-dead-letter"
              value={onDeadLetter}
              onChange={(e) => setOnDeadLetter(e.target.value === 'hold' ? 'hold' : 'skip')}
            >
              <option value="skip">The group goes on without it (skip)</option>
              <option value="hold">The group waits until it is replayed or discarded (hold)</option>
            </select>
            {errors.get('fifo') && <p className="field-error">{errors.get('fifo')}</p>}
          </div>
        )}
        <Field
          label="Role ARN Sluice assumes"
          name="roleArn"
          value={roleArn}
          onChange={setRoleArn}
          hint="The role you create in the next step, e.g. arn:aws:iam::123456789012:role/SluiceWriter"
          error={errors.get('auth.roleArn') ?? errors.get('auth')}
        />
        <Field
          label="Event types (optional)"
          name="eventTypes"
          value={eventTypes}
          onChange={setEventTypes}
          hint="Space-separated names or globs (order.* invoice.paid); empty: every event type"
          error={[...errors.entries()].find(([path]) => path.startsWith('eventTypes'))?.[1]}
        />
        <Field
          label="Rate limit, messages per second (optional)"
          name="rateLimit"
          type="number"
          value={perSecond}
          onChange={setPerSecond}
          hint="Never exceeded over all workers; empty: no limit of its own. Sluice slows down by itself while AWS throttles."
          error={errors.get('rateLimit.perSecond') ?? errors.get('rateLimit')}
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {existing ? 'Save' : 'Save and continue'}
        </button>
      </form>
    </Section>
  );
}
