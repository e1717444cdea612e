import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { AreasService } from '@ioc/areas';
import type { IncidentChangeInput } from '../incident-change';
import { renderEmail } from './email-message';
import { EmailRepository } from './email.repository';
import { audienceOf, isRoutedStep, resolveRecipients } from './recipients';

/**
 * Where incident changes become emails: in the transaction of the change, the people to tell are
 * chosen (routes, the dispatch and escalation rules) and one row per address is written with the
 * message rendered then, so an email exists if and only if the change does. Sending is the
 * worker's. Without SMTP_URL nothing is written.
 */
@Injectable()
export class EmailOutbox implements OnModuleInit {
  private readonly logger = new Logger(EmailOutbox.name);
  private readonly enabled: boolean;

  constructor(
    private readonly repository: EmailRepository,
    private readonly areas: AreasService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.enabled = config.SMTP_URL !== undefined;
  }

  onModuleInit(): void {
    if (!this.enabled) this.logger.log('incident emails are off: SMTP_URL is not set');
  }

  /** Answers how many emails the change made. A step nobody can be emailed of costs no statement. */
  async enqueue(client: Pick<PoolClient, 'query'>, change: IncidentChangeInput): Promise<number> {
    const { incident, entry } = change;
    if (!this.enabled || !isRoutedStep(entry.step)) return 0;
    const routes = await this.repository.routesFor(client, entry.step);
    const audience = audienceOf(change, routes);
    if (audience === null) return 0;
    const recipients = resolveRecipients(change, routes, await this.repository.candidates(client, audience));
    if (recipients.length === 0) return 0;
    const message = renderEmail(change, { consoleUrl: this.config.CONSOLE_URL, areaNames: this.areas.refs(incident.areaIds).map((a) => a.name) });
    return this.repository.enqueue(client, { incidentId: incident.id, entryId: entry.id, step: entry.step, message, recipients });
  }
}
