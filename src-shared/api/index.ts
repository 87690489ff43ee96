export * from './result';
export * from './errors';
export * from './validate';
export * from './contract';
export * from './dispatch';
export * from './station-api';
export type * from './client';
