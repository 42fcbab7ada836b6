/**
 * The one alarm naming strategy, and CloudWatch's length rule for alarm names (1 to 255
 * characters, PutMetricAlarm AlarmName): a config whose derived names break it fails at synth,
 * naming the settings to shorten, instead of failing the deploy.
 */
import { alarmName, MAX_ALARM_NAME_LENGTH, pageTestAlarmName } from '../../lib/constructs/alarm-naming';

it('names an alarm <app>-<what>-<Severity>', () => {
  expect(alarmName('shop', 'orders-SizeChange', 'Warning')).toBe('shop-orders-SizeChange-Warning');
  expect(pageTestAlarmName('shop')).toBe('shop-doctor-page-test-Critical');
});

it('accepts a name of exactly 255 characters', () => {
  const what = 'a'.repeat(MAX_ALARM_NAME_LENGTH - 'shop--Critical'.length);
  expect(alarmName('shop', what, 'Critical')).toHaveLength(255);
});

it('refuses a name over 255 characters, naming the length and what to shorten', () => {
  const table = 'o'.repeat(240); // a valid DynamoDB table name (3-255 characters)
  expect(() => alarmName('shop', `${table}-SizeChange`, 'Warning')).toThrow(
    /would be 264 characters, over the 255 CloudWatch allows an alarm name; shorten appName \("shop"\) or the table or bucket name/,
  );
});

it('refuses a subject with characters outside letters, digits, _ . -', () => {
  expect(() => alarmName('shop', 'orders size', 'Warning')).toThrow(/may only use letters, digits/);
});
