export * from './finding';
export * from './windows';
export { median, spread, DAY_MS, HOUR_MS } from './stats';
export * from './cost-drift';
export * from './quality';
export * from './model-health';
export * from './prompt-drift';
export * from './box-runtime';
