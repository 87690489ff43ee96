export * from './result';
export * from './errors';
export * from './validate';
export * from './contract';
export * from './types';
export type * from './client';
