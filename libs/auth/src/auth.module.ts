import { Global, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '@ioc/config';
import { AuditMiddleware } from './audit.middleware';
import { AuthService } from './auth.service';
import { IdentityRepository } from './identity.repository';
import { jwtSecret } from './jwt-secret';
import { UsersService } from './users.service';

@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ secret: jwtSecret(config), signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  providers: [IdentityRepository, AuthService, UsersService, AuditMiddleware],
  exports: [AuthService, UsersService, IdentityRepository],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditMiddleware).forRoutes('api/*path');
  }
}
