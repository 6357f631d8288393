-- Issue 15: the size of an attempt's output, from the box's ending event (`output_bytes`), for the output-size and
-- prompt-drift detectors. NULL: the attempt has not ended, or its box's runtime predates the field.
ALTER TABLE "run_steps" ADD COLUMN "output_bytes" BIGINT;
