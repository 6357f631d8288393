export * from './local/local-box-harness';
