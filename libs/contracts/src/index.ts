export * from './device-kinds';
export * from './topics';
export * from './payloads';
export * from './api';
export * from './socket-events';
export * from './auth';
export * from './history';
export * from './incidents';
