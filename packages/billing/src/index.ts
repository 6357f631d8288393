export * from './money';
export * from './proration';
export * from './invoice-lines';
export * from './format-money';
