export * from './box-time';
export * from './money';
export * from './prices';
export * from './rate-usage';
export * from './proration';
export * from './invoice-lines';
export * from './format-money';
