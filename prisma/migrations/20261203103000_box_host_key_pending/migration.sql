-- The host key a box is switching to while provisioning replaces the key that travelled through the provider's
-- metadata service: recorded before the box presents it, so a retry after the switch still knows which key to
-- accept, and cleared when the new key is pinned in host_key_fingerprint.
ALTER TABLE "boxes" ADD COLUMN "host_key_pending_fingerprint" VARCHAR(128);
