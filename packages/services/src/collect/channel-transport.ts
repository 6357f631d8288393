// Moved to @paddock/fleet (one BoxChannel for the whole control plane). Kept only until
// packages/services/src/boxes/box-gateway.ts imports from '@paddock/fleet'; delete then.
export { type ChannelTransport, localProcessTransport, type OpenTransport, sshTransport } from '@paddock/fleet';
