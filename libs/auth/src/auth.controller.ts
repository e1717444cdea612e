import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { loginSchema, refreshSchema, type LoginInput, type RefreshInput, type SessionDto, type UserDto } from '@ioc/contracts';
import { ErrorCode, IocError, ApiZodBody, ZodValidationPipe } from '@ioc/common';
import { EVERYONE, Allow, Public } from './access.decorator';
import type { AuthenticatedRequest } from './auth.guard';
import { AuthService, toUserDto, type ClientInfo } from './auth.service';
import { IdentityRepository } from './identity.repository';
import { LoginRateLimit } from './throttle';

const clientOf = (request: Request): ClientInfo => ({ ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null });

@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly repository: IdentityRepository,
  ) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @LoginRateLimit()
  @ApiZodBody(loginSchema)
  login(@Body(new ZodValidationPipe(loginSchema)) body: LoginInput, @Req() request: Request): Promise<SessionDto> {
    return this.auth.login(body, clientOf(request));
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiZodBody(refreshSchema)
  refresh(@Body(new ZodValidationPipe(refreshSchema)) body: RefreshInput, @Req() request: Request): Promise<SessionDto> {
    return this.auth.refresh(body.refreshToken, clientOf(request));
  }

  @Post('logout')
  @HttpCode(204)
  @Allow(...EVERYONE)
  @ApiZodBody(refreshSchema)
  logout(@Body(new ZodValidationPipe(refreshSchema)) body: RefreshInput): Promise<void> {
    return this.auth.logout(body.refreshToken);
  }

  @Get('me')
  @Allow(...EVERYONE)
  async me(@Req() request: AuthenticatedRequest): Promise<UserDto> {
    const user = await this.repository.findUserById(request.principal!.userId);
    if (!user) throw new IocError(ErrorCode.Unauthenticated, 'this account no longer exists');
    return toUserDto(user);
  }
}
