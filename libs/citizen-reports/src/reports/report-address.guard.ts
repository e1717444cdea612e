import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { PublicRateLimits } from '../rate-limits/public-rate-limits';
import { SenderKeys } from '../rate-limits/sender-keys';
import { clientAddressOf } from './client-address';

/** Refuses a sender already at their limit before the multipart body (photos and all) is read. */
@Injectable()
export class ReportAddressGuard implements CanActivate {
  constructor(
    private readonly limits: PublicRateLimits,
    private readonly senders: SenderKeys,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.limits.checkReportAddress(this.senders.ofAddress(clientAddressOf(context)));
    return true;
  }
}
