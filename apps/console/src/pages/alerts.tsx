import { type Alert, type AlertRule, type AlertRules, api } from '../api.ts';
import { href } from '../router.ts';
import { ErrorNote, Pager, usePages, When } from '../ui.tsx';

const ruleText: Record<AlertRule, (value: number, threshold: number) => string> = {
  dlqOpenAbove: (value, threshold) => `${value} dead letters open (above ${threshold})`,
  oldestPendingSecondsAbove: (value, threshold) => `oldest pending ${value} s (above ${threshold} s)`,
  failingForSeconds: (value, threshold) => `failing for ${value} s (above ${threshold} s)`,
};

/** What an alert says, in words: the rule with its value and threshold. */
export const describeAlert = (alert: Alert) => ruleText[alert.rule](alert.value, alert.threshold);

/** The rules in force on a destination, in words; `off` for one turned off. */
export function describeRules(rules: AlertRules): string {
  const parts = [
    rules.dlqOpenAbove === null ? 'dead letters: off' : `more than ${rules.dlqOpenAbove} dead letters`,
    rules.oldestPendingSecondsAbove === null
      ? 'pending age: off'
      : `pending older than ${rules.oldestPendingSecondsAbove} s`,
    rules.failingForSeconds === null ? 'failing: off' : `failing for more than ${rules.failingForSeconds} s`,
  ];
  return parts.join(' · ');
}

/** Open alerts (all the viewer may see, or one destination's), newest first. */
export function OpenAlerts(props: { destinationId?: string }) {
  const alerts = usePages(
    (cursor) => api.alerts.open({ destinationId: props.destinationId, cursor }),
    [props.destinationId],
  );
  if (alerts.error) return <ErrorNote error={alerts.error} />;
  if (!alerts.data) return <p aria-busy="true">Loading alerts…</p>;
  if (alerts.data.data.length === 0) return <p className="muted">No open alerts.</p>;
  return (
    <>
      <table aria-label="Open alerts">
        <thead>
          <tr>
            <th>Destination</th>
            <th>Alert</th>
            <th>Open since</th>
          </tr>
        </thead>
        <tbody>
          {alerts.data.data.map((alert) => (
            <tr key={alert.id}>
              <td>
                <a href={href('destinations', alert.destinationId)}>{alert.destinationName}</a>
              </td>
              <td>{describeAlert(alert)}</td>
              <td>
                <When at={alert.since} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pageNumber={alerts.pageNumber} next={alerts.next} previous={alerts.previous} />
    </>
  );
}
