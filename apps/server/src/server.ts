import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '@ioc/config';
import { deferBodyError, HttpExceptionFilter } from '@ioc/common';
import { version } from '../../../package.json';
import { AppModule } from './app.module';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function logLevels(level: AppConfig['LOG_LEVEL']): LogLevel[] {
  if (level === 'silent') return [];
  const nest: LogLevel = level === 'info' ? 'log' : level === 'trace' ? 'verbose' : level;
  return LEVELS.slice(0, LEVELS.indexOf(nest) + 1);
}

export interface RunningServer {
  app: NestExpressApplication;
  /** http://host:port of the REST API, the console and socket.io. */
  url: string;
  close(): Promise<void>;
}

/** Builds and starts the whole server for a configuration; main.ts and the tests both use it. */
export async function startServer(config: AppConfig): Promise<RunningServer> {
  const logger = new ConsoleLogger({
    logLevels: logLevels(config.LOG_LEVEL),
    json: config.NODE_ENV === 'production',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  // The client's address (login throttling, rate limits, the audit log) is the TCP peer unless a proxy is trusted.
  if (config.TRUST_PROXY !== undefined) app.set('trust proxy', config.TRUST_PROXY);
  app.useBodyParser('json', { limit: '256kb' });
  // A refused body (413, 400) is answered after the audit hook has seen the request.
  app.use(deferBodyError);
  app.use(helmet({ contentSecurityPolicy: { directives: contentSecurityPolicy(config) } }));
  if (config.CORS_ORIGINS.length > 0) app.enableCors({ origin: config.CORS_ORIGINS, credentials: false });
  app.useGlobalFilters(new HttpExceptionFilter());
  publishApiDocs(app);
  app.enableShutdownHooks();
  serveConsole(app, resolve(config.CONSOLE_DIR));
  try {
    await app.listen(config.PORT, config.HOST);
  } catch (err) {
    // Release what did start (the database pool, the embedded PostgreSQL, a listening broker).
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.getHttpServer().address() as { port: number };
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = `http://${host}:${address.port}`;
  Logger.log(`serving the console and API at ${url}`, 'Server');
  return { app, url, close: () => app.close() };
}

/** The console loads map tiles from the configured tile server and talks only to its own origin. */
function contentSecurityPolicy(config: AppConfig): Record<string, string[]> {
  const url = new URL(config.CONSOLE_TILE_URL.replace('{s}', 'a').replace(/\{[a-z]+\}/g, '0'));
  const host = config.CONSOLE_TILE_URL.includes('//{s}.') ? url.host.replace(/^a\./, '*.') : url.host;
  const tiles = `${url.protocol}//${host}`;
  return {
    defaultSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:', tiles],
    // Leaflet positions map panes with inline styles.
    styleSrc: ["'self'", "'unsafe-inline'"],
    connectSrc: ["'self'"],
    scriptSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
  };
}

/** OpenAPI at /api/docs (UI) and /api/docs-json; each operation says the roles it needs. */
function publishApiDocs(app: NestExpressApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('ioc API')
      .setDescription('Intelligent Operations Center: devices, rules, alerts, users and audit. Log in with POST /api/auth/login.')
      .setVersion(version)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}

/** The built console at `/`; its client-side routes (e.g. /field) fall back to index.html. */
function serveConsole(app: NestExpressApplication, dir: string): void {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    Logger.warn(`no console build in ${dir}: run "npm run build"`, 'Server');
    return;
  }
  app.useStaticAssets(dir, { index: 'index.html', maxAge: '1h' });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || req.path.startsWith('/api/') || req.path.startsWith('/socket.io')) return next();
    res.sendFile(index);
  });
}
