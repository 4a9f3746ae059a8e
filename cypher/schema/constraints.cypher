// name: schema.constraints
// returns: nothing; one uniqueness constraint per key property of the graph model (DESIGN.md).
// Schema files may hold several statements separated by ";" (each idempotent).
CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (n:Customer) REQUIRE n.customer_id IS UNIQUE;
CREATE CONSTRAINT record_id IF NOT EXISTS FOR (n:Record) REQUIRE n.record_id IS UNIQUE;
CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (n:Identifier) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT device_id IF NOT EXISTS FOR (n:Device) REQUIRE n.device_id IS UNIQUE;
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.event_id IS UNIQUE;
CREATE CONSTRAINT segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.segment_id IS UNIQUE;
CREATE CONSTRAINT destination_id IF NOT EXISTS FOR (n:Destination) REQUIRE n.destination_id IS UNIQUE;
CREATE CONSTRAINT address_id IF NOT EXISTS FOR (n:Address) REQUIRE n.address_id IS UNIQUE;
CREATE CONSTRAINT household_id IF NOT EXISTS FOR (n:Household) REQUIRE n.household_id IS UNIQUE;
CREATE CONSTRAINT group_id IF NOT EXISTS FOR (n:Group) REQUIRE n.group_id IS UNIQUE;
CREATE CONSTRAINT conflict_id IF NOT EXISTS FOR (n:Conflict) REQUIRE n.conflict_id IS UNIQUE;
CREATE CONSTRAINT identity_change_id IF NOT EXISTS FOR (n:IdentityChange) REQUIRE n.change_id IS UNIQUE;
CREATE CONSTRAINT setting_name IF NOT EXISTS FOR (n:Setting) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT match_model_version IF NOT EXISTS FOR (n:MatchModel) REQUIRE n.version IS UNIQUE;
CREATE CONSTRAINT api_key_name IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT api_key_hash IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.key_hash IS UNIQUE;
CREATE CONSTRAINT audit_batch_id IF NOT EXISTS FOR (n:AuditBatch) REQUIRE n.batch_id IS UNIQUE;
// The audit log before AuditBatch (one node an entry): kept until graph.schema moves it.
CREATE CONSTRAINT audit_entry_id IF NOT EXISTS FOR (n:AuditEntry) REQUIRE n.entry_id IS UNIQUE;
CREATE CONSTRAINT sync_run_id IF NOT EXISTS FOR (n:SyncRun) REQUIRE n.sync_id IS UNIQUE;
CREATE CONSTRAINT consent_change_id IF NOT EXISTS FOR (n:ConsentChange) REQUIRE n.change_id IS UNIQUE;
CREATE CONSTRAINT suppression_hash IF NOT EXISTS FOR (n:Suppression) REQUIRE n.hash IS UNIQUE;
CREATE CONSTRAINT job_name IF NOT EXISTS FOR (n:Job) REQUIRE n.name IS UNIQUE;
