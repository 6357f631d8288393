export * from './box-time';
export * from './money';
export * from './prices';
export * from './rate-usage';
