import { Inject, Injectable } from '@nestjs/common';
import type { Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { OutboxWorker, type SendResult } from '../outbox/outbox-worker';
import { EmailRepository, type ClaimedEmail } from './email.repository';
import { sendEmail, smtpTransport } from './email-sender';

/**
 * Sends the email outbox on nodes with the ingest role when SMTP_URL is set: up to
 * EMAIL_CONCURRENCY messages at once over a pool of SMTP connections.
 */
@Injectable()
export class EmailWorker extends OutboxWorker<ClaimedEmail> {
  private transport: Transporter | null = null;

  constructor(repository: EmailRepository, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    super(EmailWorker.name, repository, {
      noun: 'email',
      runs: config.IOC_ROLES.includes('ingest') && config.SMTP_URL !== undefined,
      concurrency: config.EMAIL_CONCURRENCY,
      timeoutMs: config.SMTP_TIMEOUT_MS,
      retry: { baseMs: config.EMAIL_RETRY_BASE_MS, maxMs: config.EMAIL_RETRY_MAX_MS, retryForMs: config.EMAIL_RETRY_FOR_S * 1000 },
      logDays: config.EMAIL_LOG_DAYS,
    });
  }

  protected send(d: ClaimedEmail, stop: AbortSignal): Promise<SendResult> {
    // Runs only with SMTP_URL, and the configuration wants SMTP_FROM with it.
    this.transport ??= smtpTransport({
      url: this.config.SMTP_URL!,
      from: this.config.SMTP_FROM!,
      timeoutMs: this.config.SMTP_TIMEOUT_MS,
      connections: this.config.EMAIL_CONCURRENCY,
    });
    const headers = {
      'X-IOC-Incident': String(d.incidentId),
      // The same on every attempt: a mailbox rule can drop a repeat.
      'X-IOC-Delivery': String(d.id),
      // RFC 3834: no out-of-office answers to a machine.
      'Auto-Submitted': 'auto-generated',
    };
    return sendEmail(this.transport, { to: d.address, subject: d.subject, text: d.text, html: d.html, headers }, this.config.SMTP_TIMEOUT_MS, stop);
  }

  protected override stopped(): Promise<void> {
    this.transport?.close();
    return Promise.resolve();
  }
}
