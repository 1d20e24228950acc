/** Reads CloudWatch alarms out of a synthesized template, whatever their shape (single metric or metric math). */
import type { Template } from 'aws-cdk-lib/assertions';

/** The parts of an alarm the tests assert on. */
export interface AlarmView {
  readonly name: string;
  readonly threshold: number;
  readonly comparison: string;
  readonly actions: unknown[];
  /** Every metric the alarm reads: namespace, name, dimensions (name → value). */
  readonly metrics: { namespace: string; metricName: string; dimensions: Record<string, unknown> }[];
  readonly expressions: string[];
}

function dims(list: { Name: string; Value: unknown }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
}

/** All alarms of the template. */
export function alarms(template: Template): AlarmView[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r: any) => {
    const p = r.Properties;
    const metrics = p.MetricName
      ? [{ namespace: p.Namespace, metricName: p.MetricName, dimensions: dims(p.Dimensions) }]
      : (p.Metrics ?? [])
          .filter((m: any) => m.MetricStat)
          .map((m: any) => ({
            namespace: m.MetricStat.Metric.Namespace,
            metricName: m.MetricStat.Metric.MetricName,
            dimensions: dims(m.MetricStat.Metric.Dimensions),
          }));
    const expressions = (p.Metrics ?? []).filter((m: any) => m.Expression).map((m: any) => m.Expression);
    return {
      name: p.AlarmName,
      threshold: p.Threshold,
      comparison: p.ComparisonOperator,
      actions: p.AlarmActions ?? [],
      metrics,
      expressions,
    };
  });
}

/** The one alarm reading `metricName` (in `namespace`) whose name contains `nameHint`. */
export function alarmOn(list: AlarmView[], namespace: string, metricName: string, nameHint = ''): AlarmView {
  const found = list.filter(
    (a) => a.name.includes(nameHint) && a.metrics.some((m) => m.namespace === namespace && m.metricName === metricName),
  );
  if (found.length !== 1) {
    throw new Error(`expected one alarm on ${namespace}/${metricName} (${nameHint}), found ${found.length}`);
  }
  return found[0]!;
}
