import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
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
import { secretMatches, sha256Hex, ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { BrokerHookGuard } from './broker-hook.guard';
import { BrokerRefusals } from './broker-refusals';
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
@UseGuards(BrokerHookGuard)
export class BrokerHooksController {
  private readonly server: { username: string; passwordHash: string } | null;

  constructor(
    private readonly devices: DevicesService,
    private readonly refusals: BrokerRefusals,
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
  authenticate(@Body(new ZodValidationPipe(brokerAuthRequestSchema)) body: BrokerAuthRequest): BrokerHookResult {
    if (this.isServer(body.username, body.password)) return { result: 'allow', is_superuser: true };
    if (this.devices.authenticate(body.clientid, body.username, body.password)) return allow;
    this.refusals.count('logins');
    return deny;
  }

  @Post('acl')
  @HttpCode(200)
  @Public()
  @ApiZodBody(brokerAclRequestSchema)
  authorize(@Body(new ZodValidationPipe(brokerAclRequestSchema)) body: BrokerAclRequest): BrokerHookResult {
    const answer = this.decide(body);
    if (answer === deny && body.action === 'publish') this.refusals.count('publishes');
    return answer;
  }

  private decide(body: BrokerAclRequest): BrokerHookResult {
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
}
