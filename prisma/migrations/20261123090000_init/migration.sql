-- Paddock's initial data model. Written to match prisma/schema.prisma exactly (in Prisma migrate's naming style);
-- packages/db/src/drift.test.ts checks that the two agree. Applied by packages/db/src/migrate.ts in one transaction.

-- CreateEnum
CREATE TYPE "tenant_status" AS ENUM ('provisioning', 'provisioning_failed', 'active', 'suspended', 'deleting', 'deleted');

CREATE TYPE "user_role" AS ENUM ('operator', 'owner', 'admin', 'member');

CREATE TYPE "subscription_status" AS ENUM ('trialing', 'active', 'past_due', 'canceled');

CREATE TYPE "box_provider" AS ENUM ('byo', 'hetzner', 'local');

CREATE TYPE "box_status" AS ENUM ('pending', 'creating', 'starting', 'bootstrapping', 'deploying', 'ready', 'unhealthy', 'unreachable', 'destroying', 'destroyed', 'failed');

CREATE TYPE "rollout_status" AS ENUM ('pending', 'running', 'succeeded', 'halted', 'canceled');

CREATE TYPE "deploy_status" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'rolled_back', 'canceled');

CREATE TYPE "deploy_kind" AS ENUM ('deploy', 'rollback');

CREATE TYPE "workflow_kind" AS ENUM ('provision', 'suspend', 'resume', 'delete');

CREATE TYPE "workflow_status" AS ENUM ('running', 'succeeded', 'failed', 'canceled');

CREATE TYPE "job_status" AS ENUM ('queued', 'running', 'retrying', 'succeeded', 'failed');

CREATE TYPE "chain_version_status" AS ENUM ('staging', 'active', 'rejected', 'superseded');

CREATE TYPE "run_status" AS ENUM ('queued', 'running', 'waiting_decision', 'succeeded', 'failed', 'canceled');

CREATE TYPE "step_status" AS ENUM ('pending', 'running', 'waiting_decision', 'succeeded', 'failed', 'skipped', 'canceled');

CREATE TYPE "decision_status" AS ENUM ('pending', 'approved', 'rejected', 'changes_requested', 'canceled');

CREATE TYPE "cost_kind" AS ENUM ('model_usage', 'box_time', 'storage', 'transfer', 'adjustment');

CREATE TYPE "invoice_status" AS ENUM ('draft', 'open', 'paid', 'void');

CREATE TYPE "invoice_line_kind" AS ENUM ('plan_fee', 'usage', 'box_time', 'adjustment');

CREATE TYPE "alert_severity" AS ENUM ('info', 'warning', 'critical');

CREATE TYPE "alert_status" AS ENUM ('open', 'acknowledged', 'resolved');

CREATE TYPE "actor_type" AS ENUM ('user', 'api_key', 'system');

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "slug" VARCHAR(63) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "status" "tenant_status" NOT NULL DEFAULT 'provisioning',
    "status_reason" TEXT,
    "plan_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMPTZ(3),
    "suspended_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "email" VARCHAR(320) NOT NULL,
    "name" VARCHAR(200),
    "role" "user_role" NOT NULL,
    "password_hash" TEXT,
    "password_changed_at" TIMESTAMPTZ(3),
    "last_login_at" TIMESTAMPTZ(3),
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "tenant_id" UUID,
    "token_hash" CHAR(64) NOT NULL,
    "ip_address" VARCHAR(64),
    "user_agent" VARCHAR(512),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "user_id" UUID,
    "name" VARCHAR(200) NOT NULL,
    "prefix" VARCHAR(32) NOT NULL,
    "key_hash" CHAR(64) NOT NULL,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "scope" VARCHAR(64) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "response_secrets_encrypted" TEXT,
    "tenant_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plans" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "code" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "description" TEXT,
    "price_minor" INTEGER NOT NULL,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'USD',
    "provider" "box_provider" NOT NULL,
    "server_type" VARCHAR(64),
    "region" VARCHAR(64),
    "included_usage_micros" BIGINT NOT NULL DEFAULT '0',
    "usage_markup_bps" INTEGER NOT NULL DEFAULT 0,
    "limits" JSONB NOT NULL DEFAULT '{}',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "sort_order" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "plans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "status" "subscription_status" NOT NULL DEFAULT 'active',
    "current_period_start" TIMESTAMPTZ(3) NOT NULL,
    "current_period_end" TIMESTAMPTZ(3) NOT NULL,
    "canceled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "boxes" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "provider" "box_provider" NOT NULL,
    "provider_id" VARCHAR(128),
    "region" VARCHAR(64),
    "server_type" VARCHAR(64),
    "address" VARCHAR(255),
    "port" INTEGER NOT NULL DEFAULT 22,
    "ssh_user" VARCHAR(64) NOT NULL DEFAULT 'root',
    "ssh_key_id" UUID,
    "host_key_fingerprint" VARCHAR(128),
    "host_key_algorithm" VARCHAR(64),
    "host_key_pinned_at" TIMESTAMPTZ(3),
    "status" "box_status" NOT NULL DEFAULT 'pending',
    "status_reason" TEXT,
    "runtime_version" VARCHAR(64),
    "current_release_id" UUID,
    "last_seen_at" TIMESTAMPTZ(3),
    "load1" DOUBLE PRECISION,
    "mem_used_bytes" BIGINT,
    "mem_total_bytes" BIGINT,
    "disk_used_bytes" BIGINT,
    "disk_total_bytes" BIGINT,
    "health" JSONB,
    "health_checked_at" TIMESTAMPTZ(3),
    "bootstrapped_at" TIMESTAMPTZ(3),
    "labels" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "destroyed_at" TIMESTAMPTZ(3),

    CONSTRAINT "boxes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ssh_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "name" VARCHAR(200) NOT NULL,
    "algorithm" VARCHAR(32) NOT NULL DEFAULT 'ssh-ed25519',
    "public_key" TEXT NOT NULL,
    "fingerprint" VARCHAR(128) NOT NULL,
    "private_key_encrypted" TEXT NOT NULL,
    "provider_key_id" VARCHAR(128),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "ssh_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "releases" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "version" VARCHAR(64) NOT NULL,
    "manifest_hash" CHAR(64) NOT NULL,
    "manifest" JSONB NOT NULL,
    "runtime_version" VARCHAR(64) NOT NULL,
    "node_version" VARCHAR(32),
    "size_bytes" BIGINT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "notes" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "withdrawn_at" TIMESTAMPTZ(3),

    CONSTRAINT "releases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollouts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "release_id" UUID NOT NULL,
    "status" "rollout_status" NOT NULL DEFAULT 'pending',
    "concurrency" INTEGER NOT NULL,
    "canary_size" INTEGER NOT NULL,
    "max_failure_bps" INTEGER NOT NULL,
    "total_boxes" INTEGER NOT NULL DEFAULT 0,
    "succeeded_boxes" INTEGER NOT NULL DEFAULT 0,
    "failed_boxes" INTEGER NOT NULL DEFAULT 0,
    "requested_by_user_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deploys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "box_id" UUID NOT NULL,
    "tenant_id" UUID,
    "release_id" UUID NOT NULL,
    "previous_release_id" UUID,
    "rollout_id" UUID,
    "kind" "deploy_kind" NOT NULL DEFAULT 'deploy',
    "status" "deploy_status" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "files_uploaded" INTEGER,
    "bytes_sent" BIGINT,
    "log_tail" TEXT NOT NULL DEFAULT '',
    "error" TEXT,
    "requested_by_user_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deploys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "box_locks" (
    "box_id" UUID NOT NULL,
    "purpose" VARCHAR(32) NOT NULL,
    "holder" VARCHAR(255) NOT NULL,
    "acquired_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "box_locks_pkey" PRIMARY KEY ("box_id", "purpose")
);

-- CreateTable
CREATE TABLE "workflows" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "box_id" UUID,
    "kind" "workflow_kind" NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "status" "workflow_status" NOT NULL DEFAULT 'running',
    "current_step" VARCHAR(64),
    "state" JSONB NOT NULL DEFAULT '{}',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "workflows_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_records" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "queue" VARCHAR(128) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "job_id" VARCHAR(255) NOT NULL,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER,
    "payload" JSONB NOT NULL,
    "output" JSONB,
    "error" TEXT,
    "worker_id" VARCHAR(255),
    "tenant_id" UUID,
    "box_id" UUID,
    "workflow_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chains" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "description" TEXT,
    "active_version_id" UUID,
    "last_known_good_version_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "archived_at" TIMESTAMPTZ(3),

    CONSTRAINT "chains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chain_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "chain_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "content_hash" CHAR(64) NOT NULL,
    "definition" JSONB NOT NULL,
    "prompts" JSONB NOT NULL,
    "reference_inputs" JSONB,
    "status" "chain_version_status" NOT NULL DEFAULT 'staging',
    "staging_result" JSONB,
    "overridden_by_user_id" UUID,
    "override_reason" TEXT,
    "created_by_user_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "synced_at" TIMESTAMPTZ(3),
    "activated_at" TIMESTAMPTZ(3),
    "rejected_at" TIMESTAMPTZ(3),

    CONSTRAINT "chain_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "box_id" UUID,
    "chain_id" UUID NOT NULL,
    "chain_version_id" UUID,
    "runtime_run_id" VARCHAR(128),
    "status" "run_status" NOT NULL DEFAULT 'queued',
    "inputs" JSONB NOT NULL DEFAULT '{}',
    "output" JSONB,
    "error" TEXT,
    "tokens_in" BIGINT NOT NULL DEFAULT '0',
    "tokens_out" BIGINT NOT NULL DEFAULT '0',
    "cost_micros" BIGINT NOT NULL DEFAULT '0',
    "duration_ms" INTEGER,
    "last_event_seq" INTEGER NOT NULL DEFAULT 0,
    "replay_of_run_id" UUID,
    "replay_from_step" VARCHAR(128),
    "started_by_user_id" UUID,
    "started_by_api_key_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_steps" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "position" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "status" "step_status" NOT NULL DEFAULT 'pending',
    "agent" VARCHAR(128),
    "model" VARCHAR(128),
    "tokens_in" BIGINT NOT NULL DEFAULT '0',
    "tokens_out" BIGINT NOT NULL DEFAULT '0',
    "cost_micros" BIGINT NOT NULL DEFAULT '0',
    "duration_ms" INTEGER,
    "exit_code" INTEGER,
    "output_path" TEXT,
    "output_tail" TEXT,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_steps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "decisions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "step_id" UUID,
    "box_id" UUID,
    "runtime_decision_id" VARCHAR(128) NOT NULL,
    "step_name" VARCHAR(128) NOT NULL,
    "status" "decision_status" NOT NULL DEFAULT 'pending',
    "prompt" TEXT,
    "subject" JSONB,
    "note" TEXT,
    "decided_by_user_id" UUID,
    "decided_by_api_key_id" UUID,
    "decided_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "decisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tenant_secrets" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "value_encrypted" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pushed_at" TIMESTAMPTZ(3),

    CONSTRAINT "tenant_secrets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_events" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "box_id" UUID NOT NULL,
    "idempotency_key" VARCHAR(300) NOT NULL,
    "runtime_run_id" VARCHAR(128) NOT NULL,
    "seq" INTEGER NOT NULL,
    "run_id" UUID,
    "type" VARCHAR(64) NOT NULL,
    "chain_name" VARCHAR(128),
    "step_name" VARCHAR(128),
    "model" VARCHAR(128),
    "tokens_in" INTEGER NOT NULL DEFAULT 0,
    "tokens_out" INTEGER NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT '0',
    "duration_ms" INTEGER,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "collector_cursors" (
    "box_id" UUID NOT NULL,
    "tenant_id" UUID,
    "cursor" TEXT NOT NULL DEFAULT '',
    "events_ingested" BIGINT NOT NULL DEFAULT '0',
    "last_event_at" TIMESTAMPTZ(3),
    "owner_id" VARCHAR(255),
    "lease_expires_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "collector_cursors_pkey" PRIMARY KEY ("box_id")
);

-- CreateTable
CREATE TABLE "cost_entries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "box_id" UUID,
    "run_id" UUID,
    "kind" "cost_kind" NOT NULL,
    "description" TEXT NOT NULL,
    "quantity" BIGINT NOT NULL DEFAULT '0',
    "unit" VARCHAR(32) NOT NULL,
    "amount_micros" BIGINT NOT NULL,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'USD',
    "source_key" VARCHAR(300) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "invoice_line_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cost_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoices" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "number" VARCHAR(64) NOT NULL,
    "status" "invoice_status" NOT NULL DEFAULT 'draft',
    "currency" VARCHAR(3) NOT NULL DEFAULT 'USD',
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "subtotal_minor" INTEGER NOT NULL DEFAULT 0,
    "tax_minor" INTEGER NOT NULL DEFAULT 0,
    "total_minor" INTEGER NOT NULL DEFAULT 0,
    "issued_at" TIMESTAMPTZ(3),
    "due_at" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "voided_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_lines" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "invoice_id" UUID NOT NULL,
    "kind" "invoice_line_kind" NOT NULL,
    "description" TEXT NOT NULL,
    "quantity" BIGINT NOT NULL DEFAULT '1',
    "unit" VARCHAR(32) NOT NULL DEFAULT 'unit',
    "unit_price_micros" BIGINT NOT NULL,
    "amount_minor" INTEGER NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "position" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoice_lines_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alerts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "box_id" UUID,
    "severity" "alert_severity" NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "message" TEXT NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',
    "status" "alert_status" NOT NULL DEFAULT 'open',
    "dedupe_key" VARCHAR(255),
    "occurrences" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by_user_id" UUID,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID,
    "actor_type" "actor_type" NOT NULL,
    "actor_id" UUID,
    "actor_label" VARCHAR(320) NOT NULL,
    "action" VARCHAR(128) NOT NULL,
    "target_type" VARCHAR(64),
    "target_id" VARCHAR(255),
    "details" JSONB NOT NULL DEFAULT '{}',
    "ip_address" VARCHAR(64),
    "request_id" VARCHAR(128),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants"("slug");

-- CreateIndex
CREATE INDEX "tenants_status_idx" ON "tenants"("status");

-- CreateIndex
CREATE INDEX "tenants_plan_id_idx" ON "tenants"("plan_id");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "users_tenant_id_idx" ON "users"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_idx" ON "sessions"("tenant_id");

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_tenant_id_idx" ON "api_keys"("tenant_id");

-- CreateIndex
CREATE INDEX "api_keys_user_id_idx" ON "api_keys"("user_id");

-- CreateIndex
CREATE INDEX "idempotency_records_expires_at_idx" ON "idempotency_records"("expires_at");

-- CreateIndex
CREATE INDEX "idempotency_records_tenant_id_idx" ON "idempotency_records"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_records_scope_key_key" ON "idempotency_records"("scope", "key");

-- CreateIndex
CREATE UNIQUE INDEX "plans_code_key" ON "plans"("code");

-- CreateIndex
CREATE INDEX "subscriptions_tenant_id_status_idx" ON "subscriptions"("tenant_id", "status");

-- CreateIndex
CREATE INDEX "subscriptions_plan_id_idx" ON "subscriptions"("plan_id");

-- CreateIndex
CREATE INDEX "boxes_tenant_id_idx" ON "boxes"("tenant_id");

-- CreateIndex
CREATE INDEX "boxes_status_idx" ON "boxes"("status");

-- CreateIndex
CREATE UNIQUE INDEX "boxes_provider_provider_id_key" ON "boxes"("provider", "provider_id");

-- CreateIndex
CREATE UNIQUE INDEX "ssh_keys_fingerprint_key" ON "ssh_keys"("fingerprint");

-- CreateIndex
CREATE INDEX "ssh_keys_tenant_id_idx" ON "ssh_keys"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "releases_version_key" ON "releases"("version");

-- CreateIndex
CREATE UNIQUE INDEX "releases_manifest_hash_key" ON "releases"("manifest_hash");

-- CreateIndex
CREATE INDEX "rollouts_status_idx" ON "rollouts"("status");

-- CreateIndex
CREATE INDEX "deploys_box_id_created_at_idx" ON "deploys"("box_id", "created_at");

-- CreateIndex
CREATE INDEX "deploys_tenant_id_idx" ON "deploys"("tenant_id");

-- CreateIndex
CREATE INDEX "deploys_rollout_id_idx" ON "deploys"("rollout_id");

-- CreateIndex
CREATE INDEX "deploys_status_idx" ON "deploys"("status");

-- CreateIndex
CREATE UNIQUE INDEX "workflows_key_key" ON "workflows"("key");

-- CreateIndex
CREATE INDEX "workflows_tenant_id_kind_idx" ON "workflows"("tenant_id", "kind");

-- CreateIndex
CREATE INDEX "workflows_status_idx" ON "workflows"("status");

-- CreateIndex
CREATE INDEX "job_records_status_created_at_idx" ON "job_records"("status", "created_at");

-- CreateIndex
CREATE INDEX "job_records_tenant_id_idx" ON "job_records"("tenant_id");

-- CreateIndex
CREATE INDEX "job_records_box_id_idx" ON "job_records"("box_id");

-- CreateIndex
CREATE INDEX "job_records_workflow_id_idx" ON "job_records"("workflow_id");

-- CreateIndex
CREATE UNIQUE INDEX "job_records_queue_job_id_key" ON "job_records"("queue", "job_id");

-- CreateIndex
CREATE UNIQUE INDEX "chains_active_version_id_key" ON "chains"("active_version_id");

-- CreateIndex
CREATE UNIQUE INDEX "chains_tenant_id_name_key" ON "chains"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "chain_versions_tenant_id_idx" ON "chain_versions"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "chain_versions_chain_id_version_key" ON "chain_versions"("chain_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "chain_versions_chain_id_content_hash_key" ON "chain_versions"("chain_id", "content_hash");

-- CreateIndex
CREATE INDEX "runs_tenant_id_created_at_idx" ON "runs"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "runs_tenant_id_status_idx" ON "runs"("tenant_id", "status");

-- CreateIndex
CREATE INDEX "runs_chain_id_idx" ON "runs"("chain_id");

-- CreateIndex
CREATE UNIQUE INDEX "runs_box_id_runtime_run_id_key" ON "runs"("box_id", "runtime_run_id");

-- CreateIndex
CREATE INDEX "run_steps_tenant_id_idx" ON "run_steps"("tenant_id");

-- CreateIndex
CREATE UNIQUE INDEX "run_steps_run_id_name_attempt_key" ON "run_steps"("run_id", "name", "attempt");

-- CreateIndex
CREATE INDEX "decisions_tenant_id_status_idx" ON "decisions"("tenant_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "decisions_run_id_runtime_decision_id_key" ON "decisions"("run_id", "runtime_decision_id");

-- CreateIndex
CREATE UNIQUE INDEX "tenant_secrets_tenant_id_name_key" ON "tenant_secrets"("tenant_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "usage_events_idempotency_key_key" ON "usage_events"("idempotency_key");

-- CreateIndex
CREATE INDEX "usage_events_tenant_id_occurred_at_idx" ON "usage_events"("tenant_id", "occurred_at");

-- CreateIndex
CREATE INDEX "usage_events_run_id_seq_idx" ON "usage_events"("run_id", "seq");

-- CreateIndex
CREATE INDEX "usage_events_box_id_runtime_run_id_seq_idx" ON "usage_events"("box_id", "runtime_run_id", "seq");

-- CreateIndex
CREATE INDEX "collector_cursors_tenant_id_idx" ON "collector_cursors"("tenant_id");

-- CreateIndex
CREATE INDEX "collector_cursors_lease_expires_at_idx" ON "collector_cursors"("lease_expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "cost_entries_source_key_key" ON "cost_entries"("source_key");

-- CreateIndex
CREATE INDEX "cost_entries_tenant_id_occurred_at_idx" ON "cost_entries"("tenant_id", "occurred_at");

-- CreateIndex
CREATE INDEX "cost_entries_invoice_line_id_idx" ON "cost_entries"("invoice_line_id");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_number_key" ON "invoices"("number");

-- CreateIndex
CREATE INDEX "invoices_tenant_id_period_start_idx" ON "invoices"("tenant_id", "period_start");

-- CreateIndex
CREATE INDEX "invoices_status_idx" ON "invoices"("status");

-- CreateIndex
CREATE INDEX "invoice_lines_invoice_id_position_idx" ON "invoice_lines"("invoice_id", "position");

-- CreateIndex
CREATE INDEX "invoice_lines_tenant_id_idx" ON "invoice_lines"("tenant_id");

-- CreateIndex
CREATE INDEX "alerts_status_created_at_idx" ON "alerts"("status", "created_at");

-- CreateIndex
CREATE INDEX "alerts_tenant_id_idx" ON "alerts"("tenant_id");

-- CreateIndex
CREATE INDEX "alerts_box_id_idx" ON "alerts"("box_id");

-- CreateIndex
CREATE INDEX "alerts_dedupe_key_status_idx" ON "alerts"("dedupe_key", "status");

-- CreateIndex
CREATE INDEX "audit_log_tenant_id_created_at_idx" ON "audit_log"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_log_target_type_target_id_idx" ON "audit_log"("target_type", "target_id");

-- CreateIndex
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at");

-- AddForeignKey
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_records" ADD CONSTRAINT "idempotency_records_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "boxes" ADD CONSTRAINT "boxes_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "boxes" ADD CONSTRAINT "boxes_ssh_key_id_fkey" FOREIGN KEY ("ssh_key_id") REFERENCES "ssh_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "boxes" ADD CONSTRAINT "boxes_current_release_id_fkey" FOREIGN KEY ("current_release_id") REFERENCES "releases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ssh_keys" ADD CONSTRAINT "ssh_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_release_id_fkey" FOREIGN KEY ("release_id") REFERENCES "releases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_previous_release_id_fkey" FOREIGN KEY ("previous_release_id") REFERENCES "releases"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "box_locks" ADD CONSTRAINT "box_locks_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_records" ADD CONSTRAINT "job_records_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_records" ADD CONSTRAINT "job_records_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_records" ADD CONSTRAINT "job_records_workflow_id_fkey" FOREIGN KEY ("workflow_id") REFERENCES "workflows"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chains" ADD CONSTRAINT "chains_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chains" ADD CONSTRAINT "chains_active_version_id_fkey" FOREIGN KEY ("active_version_id") REFERENCES "chain_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chains" ADD CONSTRAINT "chains_last_known_good_version_id_fkey" FOREIGN KEY ("last_known_good_version_id") REFERENCES "chain_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chain_versions" ADD CONSTRAINT "chain_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chain_versions" ADD CONSTRAINT "chain_versions_chain_id_fkey" FOREIGN KEY ("chain_id") REFERENCES "chains"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_chain_id_fkey" FOREIGN KEY ("chain_id") REFERENCES "chains"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_chain_version_id_fkey" FOREIGN KEY ("chain_version_id") REFERENCES "chain_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_replay_of_run_id_fkey" FOREIGN KEY ("replay_of_run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_step_id_fkey" FOREIGN KEY ("step_id") REFERENCES "run_steps"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tenant_secrets" ADD CONSTRAINT "tenant_secrets_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "collector_cursors" ADD CONSTRAINT "collector_cursors_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "collector_cursors" ADD CONSTRAINT "collector_cursors_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cost_entries" ADD CONSTRAINT "cost_entries_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cost_entries" ADD CONSTRAINT "cost_entries_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cost_entries" ADD CONSTRAINT "cost_entries_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cost_entries" ADD CONSTRAINT "cost_entries_invoice_line_id_fkey" FOREIGN KEY ("invoice_line_id") REFERENCES "invoice_lines"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Rules Prisma's schema language cannot express (the drift test ignores CHECK constraints and partial indexes).

-- Emails are compared case-insensitively by storing them lower-cased.
ALTER TABLE "users" ADD CONSTRAINT "users_email_lower_check" CHECK ("email" = lower("email"));
-- Operators belong to no tenant; every other role belongs to exactly one.
ALTER TABLE "users" ADD CONSTRAINT "users_role_tenant_check" CHECK (("role" = 'operator') = ("tenant_id" IS NULL));
-- An operator key must say whose it is.
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_owner_check" CHECK ("tenant_id" IS NOT NULL OR "user_id" IS NOT NULL);
ALTER TABLE "boxes" ADD CONSTRAINT "boxes_port_check" CHECK ("port" BETWEEN 1 AND 65535);
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_limits_check" CHECK ("concurrency" > 0 AND "canary_size" >= 0 AND "max_failure_bps" BETWEEN 0 AND 10000);
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_counts_check" CHECK ("seq" >= 0 AND "tokens_in" >= 0 AND "tokens_out" >= 0);

-- At most one live subscription per tenant.
CREATE UNIQUE INDEX "subscriptions_one_live_per_tenant" ON "subscriptions"("tenant_id") WHERE "status" <> 'canceled';
-- At most one open (or acknowledged) alert per dedupe key: a repeat bumps the open one.
CREATE UNIQUE INDEX "alerts_one_open_per_dedupe_key" ON "alerts"("dedupe_key") WHERE "dedupe_key" IS NOT NULL AND "status" <> 'resolved';
-- Invoicing a period twice finds the existing invoice (a voided one may be reissued).
CREATE UNIQUE INDEX "invoices_one_per_tenant_period" ON "invoices"("tenant_id", "period_start", "period_end") WHERE "status" <> 'void';
