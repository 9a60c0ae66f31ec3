// Builds the notify step's Mailer and options from the config: the one place that picks a
// transport and resolves the SMTP password and the link-signing key.
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Config } from '../../core/config/schema.ts';
import { resolveSecret, type SecretSources } from '../../core/config/secrets.ts';
import { elasticsearchFromConfig } from '../../core/elasticsearch/client.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Ack } from '../acks/Ack.ts';
import { loadAckFile } from '../acks/file.ts';
import { expiryPolicy, hmacKeyFromConfig } from './ackSettings.ts';
import { ElasticsearchSelinuxSource, type SelinuxFindingSource } from './importSelinuxFindings.ts';
import type { Mailer } from './Mailer.ts';
import type { NotifyOptions } from './notify.ts';
import { OutboxDirMailer } from './OutboxDirMailer.ts';
import { SesMailer } from './SesMailer.ts';
import { SmtpMailer } from './SmtpMailer.ts';

export async function mailerFromConfig(config: Config, secrets: SecretSources = {}): Promise<Mailer> {
  const { notify } = config;
  switch (notify.transport) {
    case 'outbox':
      return new OutboxDirMailer(notify.outboxDir);
    case 'smtp': {
      if (!notify.smtp) throw new ConfigError('notify.smtp is required when notify.transport is smtp');
      const { host, port, secure, username, password, maxConnections } = notify.smtp;
      const auth =
        username !== undefined && password !== undefined
          ? { user: username, pass: await resolveSecret(password, secrets) }
          : undefined;
      return new SmtpMailer({ host, port, secure, maxConnections, ...(auth ? { auth } : {}) });
    }
    case 'ses':
      return new SesMailer({
        client: new SESv2Client(notify.ses?.region ? { region: notify.ses.region } : {}),
        ...(notify.ses?.configurationSet ? { configurationSet: notify.ses.configurationSet } : {}),
      });
  }
}

export { expiryPolicy, hmacKeyFromConfig } from './ackSettings.ts';

export async function fileAcksFromConfig(config: Config, now: Date): Promise<Ack[]> {
  return config.notify.ack.file ? loadAckFile(config.notify.ack.file, now, expiryPolicy(config)) : [];
}

export async function notifyOptionsFromConfig(
  config: Config,
  runId: string,
  secrets: SecretSources = {},
): Promise<NotifyOptions> {
  const hmacKey = await hmacKeyFromConfig(config, secrets);
  return {
    runId,
    from: config.notify.from,
    securityContact: config.owners.securityContact,
    reminderIntervalMs: config.notify.reminderInterval,
    sendRate: config.notify.sendRate,
    keepOutboxMs: config.notify.keepOutbox,
    alertFilter: { minSeverity: config.scan.minSeverity, fixableOnly: config.scan.fixableOnly },
    concurrency: config.notify.transport === 'smtp' ? (config.notify.smtp?.maxConnections ?? 1) : 1,
    ...(hmacKey
      ? { ack: { baseUrl: config.notify.ack.baseUrl, hmacKey, linkDays: config.notify.ack.linkDays } }
      : {}),
  };
}

/** The runners' SELinux findings index, when `notify.selinuxFindings` is set. */
export async function selinuxSourceFromConfig(
  config: Config,
  secrets: SecretSources = {},
): Promise<SelinuxFindingSource | undefined> {
  const settings = config.notify.selinuxFindings;
  if (!settings) return undefined;
  const es = config.inventory.elasticsearch;
  if (!es) {
    throw new ConfigError(
      'notify.selinuxFindings: needs inventory.elasticsearch (the connection it reads through)',
    );
  }
  const { client, host } = await elasticsearchFromConfig('inventory.elasticsearch', es, secrets);
  return new ElasticsearchSelinuxSource(client, {
    index: settings.index,
    host,
    maxFindings: settings.maxFindings,
  });
}

/** What the SELinux findings import needs besides its source (notify.selinuxFindings, owners). */
export function selinuxImportOptions(config: Config): { lookbackMs: number; securityContact: string } {
  return {
    lookbackMs: config.notify.selinuxFindings?.lookback ?? 0,
    securityContact: config.owners.securityContact,
  };
}
