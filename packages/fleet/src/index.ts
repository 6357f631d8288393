export * from './box-keys';
export * from './errors';
export * from './host-key';
export * from './recorder';
export * from './shell';
export * from './ssh-connection';
export * from './ssh-options';
export * from './ssh-pool';
