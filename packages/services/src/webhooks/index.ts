export {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  updateWebhookEndpoint,
  type WebhookDeps,
  type WebhookOwner,
} from './endpoints';
export type { WebhookChange } from './endpoint-audit';
export { rotateWebhookSecret } from './rotate-secret';
export { DISABLE_AFTER_FAILED_DELIVERIES, deliverWebhook, type DeliverDeps } from './deliver-webhook';
export { queueAlertDeliveries, type AlertEvent } from './queue-deliveries';
export { sendDigests } from './send-digests';
export {
  DEFAULT_REPLAY_WINDOW_SECONDS,
  SIGNATURE_HEADER,
  signWebhook,
  type SignatureVerdict,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from './signature';
export { postWebhook } from './post-webhook';
export { checkWebhookUrl, isAllowedAddress, type WebhookTargetPolicy } from './url-guard';
