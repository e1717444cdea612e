import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request } from 'express';
import {
  brokerAclRequestSchema,
  brokerAuthRequestSchema,
  SERVER_SUBSCRIPTIONS,
  type BrokerAclRequest,
  type BrokerAuthRequest,
  type BrokerHookResult,
} from '@ioc/contracts';
import { Public } from '@ioc/auth';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { ErrorCode, IocError, secretMatches, sha256Hex, ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { DevicesService } from './devices.service';

const allow: BrokerHookResult = { result: 'allow' };
const deny: BrokerHookResult = { result: 'deny' };

/**
 * HTTP authentication and authorization for an external broker (EMQX's HTTP authenticator and
 * authorizer): the same rules as the embedded broker. The server's own client (the credentials
 * in MQTT_URL) is the one superuser and may subscribe to every uplink topic.
 */
@Controller('api/mqtt')
@SkipThrottle()
export class BrokerHooksController {
  private readonly server: { username: string; passwordHash: string } | null;

  constructor(
    private readonly devices: DevicesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const url = config.MQTT_URL ? new URL(config.MQTT_URL) : null;
    this.server = url?.username
      ? { username: decodeURIComponent(url.username), passwordHash: sha256Hex(decodeURIComponent(url.password)) }
      : null;
  }

  @Post('auth')
  @HttpCode(200)
  @Public()
  @ApiZodBody(brokerAuthRequestSchema)
  authenticate(
    @Req() request: Request,
    @Body(new ZodValidationPipe(brokerAuthRequestSchema)) body: BrokerAuthRequest,
  ): BrokerHookResult {
    this.checkBroker(request);
    if (this.isServer(body.username, body.password)) return { result: 'allow', is_superuser: true };
    return this.devices.authenticate(body.clientid, body.username, body.password) ? allow : deny;
  }

  @Post('acl')
  @HttpCode(200)
  @Public()
  @ApiZodBody(brokerAclRequestSchema)
  authorize(
    @Req() request: Request,
    @Body(new ZodValidationPipe(brokerAclRequestSchema)) body: BrokerAclRequest,
  ): BrokerHookResult {
    this.checkBroker(request);
    if (this.server && body.username === this.server.username) {
      // Plain or shared ($share/<group>/...) subscriptions to the uplink topics, nothing else.
      const filter = body.topic.replace(/^\$share\/[^/]+\//, '');
      return body.action === 'subscribe' && (SERVER_SUBSCRIPTIONS as readonly string[]).includes(filter) ? allow : deny;
    }
    const permitted =
      body.action === 'publish'
        ? this.devices.mayPublish(body.clientid, body.topic)
        : this.devices.maySubscribe(body.clientid, body.topic);
    return permitted ? allow : deny;
  }

  private isServer(username: string | undefined, password: string | undefined): boolean {
    return this.server !== null && username === this.server.username && password !== undefined && secretMatches(password, this.server.passwordHash);
  }

  /** Only the broker, holding MQTT_HOOK_TOKEN, may ask. */
  private checkBroker(request: Request): void {
    const expected = this.config.MQTT_HOOK_TOKEN;
    if (!expected) throw new IocError(ErrorCode.NotFound, 'broker hooks are off: set MQTT_HOOK_TOKEN');
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ') || !secretMatches(header.slice(7), sha256Hex(expected))) {
      throw new IocError(ErrorCode.Unauthenticated, 'broker hook token missing or wrong');
    }
  }
}
