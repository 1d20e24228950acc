/**
 * Alarm thresholds of a pipeline. Defined in core (a pipeline's `deploy` section sets them, and core validates it);
 * re-exported here for the constructs.
 */
export { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from '../core/alarm-thresholds';
