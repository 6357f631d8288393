export * from './errors';
export * from './chain-duration';
export * from './chain-graph';
export * from './chain-parse';
export * from './chain-schema';
export * from './events-schema';
export * from './api/common';
export * from './api/operator';
