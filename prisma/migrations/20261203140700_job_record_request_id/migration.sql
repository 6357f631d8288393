-- The request id that enqueued a job (the API request, or the request behind the job that enqueued it), so one
-- signup can be followed through every job it caused and, by PADDOCK_REQUEST_ID, into the box's service log.
ALTER TABLE "job_records" ADD COLUMN "request_id" VARCHAR(64);

CREATE INDEX "job_records_request_id_idx" ON "job_records"("request_id");
