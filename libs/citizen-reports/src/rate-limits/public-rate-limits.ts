import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '@ioc/alerting';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { Database } from '@ioc/database';
import { PublicRateLimitsRepository, type RateLimit, type RateVerdict } from './public-rate-limits.repository';
import { RateLimited, waitText } from './rate-limited';

/**
 * The public routes' limits per sender: reports per address (every attempt with valid fields
 * counts, so a sender cannot make the server re-encode photo after photo) and per phone number
 * (reports made), and ratings per address. A refusal is a RateLimited error (429, Retry-After).
 */
@Injectable()
export class PublicRateLimits {
  private readonly reportsPerAddress: RateLimit;
  private readonly reportsPerPhone: RateLimit;
  private readonly ratingsPerAddress: RateLimit;

  constructor(
    private readonly repository: PublicRateLimitsRepository,
    private readonly db: Database,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.reportsPerAddress = { limit: config.REPORT_ADDRESS_LIMIT, windowS: config.REPORT_ADDRESS_WINDOW_S };
    this.reportsPerPhone = { limit: config.REPORT_PHONE_LIMIT, windowS: config.REPORT_PHONE_WINDOW_S };
    this.ratingsPerAddress = { limit: config.REPORT_RATING_LIMIT, windowS: config.REPORT_ADDRESS_WINDOW_S };
  }

  /** Before the body is read: a sender already at the limit costs no upload. */
  async checkReportAddress(sender: Buffer): Promise<void> {
    refuse(await this.repository.check(this.db.pool, 'report_address', sender, this.reportsPerAddress), this.tooManyFromAddress);
  }

  async takeReportAddress(sender: Buffer): Promise<void> {
    refuse(await this.db.transaction((client) => this.repository.take(client, 'report_address', sender, this.reportsPerAddress)), this.tooManyFromAddress);
  }

  /** Before the photos are re-encoded; the report's transaction takes it for good. */
  async checkReportPhone(phone: Buffer): Promise<void> {
    refuse(await this.repository.check(this.db.pool, 'report_phone', phone, this.reportsPerPhone), this.tooManyFromPhone);
  }

  async takeReportPhone(client: Queryable, phone: Buffer): Promise<void> {
    refuse(await this.repository.take(client, 'report_phone', phone, this.reportsPerPhone), this.tooManyFromPhone);
  }

  async takeRating(sender: Buffer): Promise<void> {
    const verdict = await this.db.transaction((client) => this.repository.take(client, 'rating_address', sender, this.ratingsPerAddress));
    refuse(verdict, (wait) => `too many ratings from this address: try again in ${wait}`);
  }

  private readonly tooManyFromAddress = (wait: string) =>
    `too many reports from this address (at most ${this.reportsPerAddress.limit} in ${waitText(this.reportsPerAddress.windowS)}): try again in ${wait}`;

  private readonly tooManyFromPhone = (wait: string) =>
    `too many reports with this phone number (at most ${this.reportsPerPhone.limit} in ${waitText(this.reportsPerPhone.windowS)}): try again in ${wait}`;
}

function refuse(verdict: RateVerdict, message: (wait: string) => string): void {
  if (verdict) throw new RateLimited(message(waitText(verdict.retryAfterS)), verdict.retryAfterS);
}
