CREATE TABLE "tenant_limits" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"ingest_per_second" integer,
	"ingest_burst" integer,
	"max_destinations" integer,
	"max_destinations_per_customer" integer,
	"destination_tests_per_minute" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tenant_limits" ADD CONSTRAINT "tenant_limits_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tenant_limits_updated_idx" ON "tenant_limits" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "api_keys_revoked_idx" ON "api_keys" USING btree ("revoked_at") WHERE "api_keys"."revoked_at" is not null;