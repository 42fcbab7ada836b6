/**
 * The one alarm naming strategy: `<app>-<what>-<Severity>`.
 *
 * Every alarm of both stacks is named here, so on-call can read the severity and the subject
 * from the name alone and a dashboard or runbook can find an alarm by its parts.
 */

/** Severity of an alarm; it decides which SNS topic the alarm notifies. */
export type Severity = 'Critical' | 'Warning';

/**
 * Builds an alarm name `<app>-<what>-<Severity>`.
 *
 * @param app the config's appName (already validated: lower case, digits, hyphens)
 * @param what what is wrong, PascalCase words joined by hyphens (`BackupFailed`, `orders-SizeChange`)
 */
export function alarmName(app: string, what: string, severity: Severity): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(what)) {
    throw new Error(`alarm subject "${what}" may only use letters, digits, _ . and -; rename it`);
  }
  const name = `${app}-${what}-${severity}`;
  if (name.length > MAX_ALARM_NAME_LENGTH) {
    throw new Error(
      `alarm name "${name.slice(0, 60)}..." would be ${name.length} characters, over the ${MAX_ALARM_NAME_LENGTH} CloudWatch allows an alarm name; ` +
        `shorten appName ("${app}") or the table or bucket name in "${what}"`,
    );
  }
  return name;
}

/** CloudWatch: an alarm name is 1 to 255 characters (PutMetricAlarm AlarmName). */
export const MAX_ALARM_NAME_LENGTH = 255;

/** Subject of the alarm `dr doctor --page-test` sets to ALARM and back (one per region). */
export const PAGE_TEST_ALARM_SUBJECT = 'doctor-page-test';

/**
 * Name of the page-test alarm: `<app>-doctor-page-test-Critical`. Shared by the construct that
 * creates it, `dr doctor --page-test` that sets its state and the operator policy that allows
 * `cloudwatch:SetAlarmState` on it alone.
 */
export function pageTestAlarmName(app: string): string {
  return alarmName(app, PAGE_TEST_ALARM_SUBJECT, 'Critical');
}
