// Builds the finding sinks from config (Events on namespaces; Elasticsearch when configured)
// and publishes findings to each, collecting per-sink counts for the report.
import type { SecretSources } from '../../core/config/secrets.ts';
import type { RunnerSelinuxSection } from '../../core/config/sections/runner-selinux.ts';
import { elasticsearchFromConfig } from '../../core/elasticsearch/client.ts';
import { errorMessage } from '../../core/errors.ts';
import type { SelinuxIssue } from '../../core/findings/SelinuxIssue.ts';
import type { Logger } from '../../core/logger.ts';
import type { ClusterReader } from '../cluster/ClusterReader.ts';
import { ElasticsearchFindingSink } from './ElasticsearchFindingSink.ts';
import type { FindingSink, SinkResult } from './FindingSink.ts';
import { KubeEventSink } from './KubeEventSink.ts';

type SelinuxConfig = RunnerSelinuxSection;

export async function sinksFromConfig(
  config: SelinuxConfig,
  cluster: Pick<ClusterReader, 'createEvent'> | undefined,
  secrets: SecretSources,
): Promise<FindingSink[]> {
  const sinks: FindingSink[] = [];
  if (config.events && cluster) sinks.push(new KubeEventSink(cluster, config.maxEvents));
  const es = config.elasticsearch;
  if (es) {
    const { client, host } = await elasticsearchFromConfig('runner.selinux.elasticsearch', es, secrets);
    sinks.push(new ElasticsearchFindingSink({ client, host, index: es.index }));
  }
  return sinks;
}

export async function publishFindings(
  issues: readonly SelinuxIssue[],
  sinks: readonly FindingSink[],
  context: { node?: string; at: Date },
  logger: Logger,
): Promise<Record<string, SinkResult>> {
  const results: Record<string, SinkResult> = {};
  for (const sink of sinks) {
    try {
      results[sink.name] = await sink.publish(issues, context);
    } catch (error) {
      results[sink.name] = { sent: 0, failed: issues.length, skipped: 0, errors: [errorMessage(error)] };
    }
    const r = results[sink.name];
    if (r && r.failed > 0)
      logger.warn(
        { sink: sink.name, failed: r.failed, errors: r.errors },
        'some findings were not delivered',
      );
  }
  return results;
}
