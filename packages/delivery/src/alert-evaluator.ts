import {
  ALERT_EVENT_SOURCE,
  ALERT_EVENT_TYPES,
  ALERT_RULES,
  type AlertEventPayload,
  type AlertRule,
  resolveAlertRules,
} from '@sluice/contracts/alerts';
import { canonicalJson, sha256Hex } from '@sluice/contracts/canonical-json';
import type { DatabaseHandle } from '@sluice/db/client';
import { newId } from '@sluice/db/ids';
import type { AlertMeasurement, AlertsRepository } from '@sluice/db/repositories/alerts-repository';
import { createEventsRepository, type NewEvent } from '@sluice/db/repositories/events-repository';
import type { AlertRow } from '@sluice/db/schema/alerts';
import type { Logger } from '@sluice/logger/logger';
import { activeTraceparent, inSpan } from '@sluice/telemetry/spans';
import { type DestinationReading, decideAlert, readRule } from './alert-rules.ts';

export interface AlertEvaluatorOptions {
  /** A rule must read crossed this long before its alert opens (see alert-rules.ts). */
  confirmMs: number;
  /** Destinations measured per evaluation at most. */
  maxDestinations: number;
}

export const defaultAlertEvaluatorOptions: AlertEvaluatorOptions = { confirmMs: 5_000, maxDestinations: 5_000 };

type AlertState = keyof typeof ALERT_EVENT_TYPES;

/**
 * Watches every destination that has something outstanding (dead letters, a backlog, failures,
 * an open alert) against its alert rules, and emits Sluice's own events when an alert opens or
 * resolves: an event of the destination's tenant and customer, stored with its outbox row in the
 * transaction that opens or closes the alert, so it is delivered like any event. Its
 * idempotencyKey names the alert and the state, and only the worker whose insert or update won
 * writes it, so two workers or a restart emit each state once.
 */
export function createAlertEvaluator(deps: {
  database: Pick<DatabaseHandle, 'transaction'>;
  alerts: Pick<AlertsRepository, 'measure' | 'openFor' | 'insertOpen' | 'resolve'>;
  /** Wakes the fan-out of tenants whose alert events were stored (the sweeper covers a lost wake-up). */
  wakeFanOut: (tenantIds: string[]) => Promise<void>;
  logger: Logger;
  options?: Partial<AlertEvaluatorOptions>;
}) {
  const options = { ...defaultAlertEvaluatorOptions, ...deps.options };
  // When this process first saw each (destination, rule) crossed, for the time hysteresis.
  let crossedSince = new Map<string, number>();

  function alertEvent(alert: AlertRow, destinationName: string, state: AlertState, value: number, at: Date): NewEvent {
    const payload: AlertEventPayload = {
      destinationId: alert.destinationId,
      destinationName,
      rule: alert.rule,
      value,
      threshold: alert.threshold,
      since: alert.openedAt.toISOString(),
    };
    const input = {
      eventType: ALERT_EVENT_TYPES[state],
      occurredAt: at.toISOString(),
      source: ALERT_EVENT_SOURCE,
      customerExternalId: alert.customerExternalId,
      idempotencyKey: `sluice.alert.${alert.id}.${state}`,
      correlationId: alert.id,
      payload,
    };
    return {
      id: newId(),
      eventType: input.eventType,
      occurredAt: at,
      source: input.source,
      customerExternalId: input.customerExternalId,
      idempotencyKey: input.idempotencyKey,
      correlationId: input.correlationId,
      // As the API hashes a request's body: the same alert and state is the same event.
      requestHash: sha256Hex(canonicalJson(input)),
      payloadJson: JSON.stringify(payload),
      metadataJson: null,
      traceContext: activeTraceparent(),
    };
  }

  async function open(m: AlertMeasurement, rule: AlertRule, threshold: number, value: number, at: Date) {
    return deps.database.transaction(async (tx) => {
      const alert = await deps.alerts.insertOpen(tx, {
        id: newId(),
        tenantId: m.tenantId,
        destinationId: m.destinationId,
        customerExternalId: m.customerExternalId,
        rule,
        value,
        threshold,
        openedAt: at,
      });
      if (!alert) return false;
      await createEventsRepository(tx).insertMany(m.tenantId, [alertEvent(alert, m.name, 'opened', value, at)]);
      return true;
    });
  }

  async function resolve(alert: AlertRow, destinationName: string, value: number, at: Date) {
    return deps.database.transaction(async (tx) => {
      const closed = await deps.alerts.resolve(tx, alert.id, at);
      if (!closed) return false;
      await createEventsRepository(tx).insertMany(alert.tenantId, [
        alertEvent(closed, destinationName, 'resolved', value, at),
      ]);
      return true;
    });
  }

  async function evaluate(): Promise<{ opened: number; resolved: number }> {
    const now = new Date();
    const measured = await deps.alerts.measure(options.maxDestinations);
    const openAlerts = new Map(
      (await deps.alerts.openFor(measured.map((m) => m.destinationId))).map((a) => [`${a.destinationId}|${a.rule}`, a]),
    );
    const remembered = new Map<string, number>();
    const woken = new Set<string>();
    let opened = 0;
    let resolved = 0;
    for (const m of measured) {
      const rules = resolveAlertRules(m.alertRules);
      const reading: DestinationReading = {
        active: m.enabled && !m.paused,
        dlqOpen: m.dlqOpen,
        oldestPendingAt: m.oldestPendingAt,
        health: m.health,
      };
      for (const rule of ALERT_RULES) {
        const key = `${m.destinationId}|${rule}`;
        const alert = openAlerts.get(key);
        const threshold = rules[rule];
        // A deleted destination, or a rule turned off, closes what is open.
        if (m.deleted || threshold === null) {
          if (!alert) continue;
          const value = readRule(rule, alert.threshold, reading, now)?.value ?? alert.value;
          if (await resolve(alert, m.name, value, now)) {
            resolved++;
            woken.add(m.tenantId);
          }
          continue;
        }
        const { decision, crossedSince: keep } = decideAlert({
          reading: readRule(rule, threshold, reading, now),
          isOpen: alert !== undefined,
          crossedSince: crossedSince.get(key),
          now,
          confirmMs: options.confirmMs,
        });
        if (keep !== undefined) remembered.set(key, keep);
        if (decision.kind === 'open' && (await open(m, rule, threshold, decision.value, now))) {
          opened++;
          woken.add(m.tenantId);
        }
        if (decision.kind === 'resolve' && alert && (await resolve(alert, m.name, decision.value, now))) {
          resolved++;
          woken.add(m.tenantId);
        }
      }
    }
    // Only what is still crossed is remembered: the memory follows the candidates, not history.
    crossedSince = remembered;
    if (woken.size > 0) await deps.wakeFanOut([...woken]).catch(() => {});
    if (opened + resolved > 0) deps.logger.info({ opened, resolved }, 'alerts changed');
    return { opened, resolved };
  }

  return {
    /** One evaluation of every candidate destination; answers how many alerts opened and resolved. */
    evaluateOnce: () => inSpan('alerts evaluate', {}, evaluate),
  };
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;
