export * from './box-provider';
export * from './byo/byo-provider';
export * from './cloud-init';
export * from './hetzner/hetzner-client';
export * from './hetzner/hetzner-provider';
export type * from './hetzner/hetzner-types';
export * from './local/local-box-harness';
export * from './local/local-provider';
