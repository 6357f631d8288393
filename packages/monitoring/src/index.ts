export * from './finding';
export * from './windows';
export { DAY_MS, HOUR_MS, median, spread } from './stats';
export { runTimes, seededRandom } from './synthetic';
export * from './cost-drift';
export * from './quality';
export * from './model-health';
export * from './prompt-drift';
export * from './box-runtime';
