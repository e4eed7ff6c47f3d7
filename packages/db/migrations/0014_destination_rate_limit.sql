ALTER TABLE "destination_health" ADD COLUMN "slowed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "destinations" ADD COLUMN "rate_limit_per_second" integer;