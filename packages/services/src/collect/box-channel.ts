// Moved to @paddock/fleet (one BoxChannel for the whole control plane). Kept only until
// packages/services/src/boxes/box-gateway.ts imports from '@paddock/fleet'; delete then.
export { BoxChannel, type BoxChannelOptions, type BoxSubscription, type SubscribeOptions } from '@paddock/fleet';
