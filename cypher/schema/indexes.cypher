// name: schema.indexes
// returns: nothing; the indexes the queries need (lookups by type, time and source), and the
// ones Neo4j Bloom searches.
// customer_search serves searchCustomers without OpenSearch: url_or_email keeps an email one
// token, so a fragment matches it as a wildcard (*kim@exa*).
CREATE INDEX identifier_type IF NOT EXISTS FOR (n:Identifier) ON (n.type);
CREATE INDEX record_source IF NOT EXISTS FOR (n:Record) ON (n.source);
CREATE INDEX customer_updated_at IF NOT EXISTS FOR (n:Customer) ON (n.updated_at);
CREATE INDEX customer_merged_into IF NOT EXISTS FOR (n:Customer) ON (n.merged_into);
CREATE INDEX event_timestamp IF NOT EXISTS FOR (n:Event) ON (n.timestamp);
CREATE INDEX conflict_at IF NOT EXISTS FOR (n:Conflict) ON (n.at);
CREATE INDEX identity_change_at IF NOT EXISTS FOR (n:IdentityChange) ON (n.at);
CREATE FULLTEXT INDEX customer_text IF NOT EXISTS FOR (n:Customer) ON EACH [n.display_name, n.email, n.phone];
CREATE INDEX customer_traits_expire_at IF NOT EXISTS FOR (n:Customer) ON (n.traits_expire_at);
CREATE INDEX record_bk_email IF NOT EXISTS FOR (n:Record) ON (n.bk_email);
CREATE INDEX record_bk_phone IF NOT EXISTS FOR (n:Record) ON (n.bk_phone);
CREATE INDEX record_bk_last_dob IF NOT EXISTS FOR (n:Record) ON (n.bk_last_dob);
CREATE INDEX record_bk_names IF NOT EXISTS FOR (n:Record) ON (n.bk_names);
CREATE INDEX record_bk_post_last IF NOT EXISTS FOR (n:Record) ON (n.bk_post_last);
CREATE INDEX record_bk_first_dob IF NOT EXISTS FOR (n:Record) ON (n.bk_first_dob);
CREATE INDEX record_bk_post_dob IF NOT EXISTS FOR (n:Record) ON (n.bk_post_dob);
CREATE INDEX record_bk_addr_city IF NOT EXISTS FOR (n:Record) ON (n.bk_addr_city);
CREATE INDEX record_bk_first_post IF NOT EXISTS FOR (n:Record) ON (n.bk_first_post);
CREATE INDEX record_bk_dob_city IF NOT EXISTS FOR (n:Record) ON (n.bk_dob_city);
CREATE INDEX record_bk_addr_dob IF NOT EXISTS FOR (n:Record) ON (n.bk_addr_dob);
CREATE FULLTEXT INDEX customer_search IF NOT EXISTS FOR (n:Customer) ON EACH [n.display_name, n.first_name, n.last_name, n.email, n.phone] OPTIONS {indexConfig: {`fulltext.analyzer`: 'url_or_email'}};
CREATE INDEX membership_change_segment IF NOT EXISTS FOR (n:MembershipChange) ON (n.segment_id, n.at);
CREATE INDEX membership_change_seq IF NOT EXISTS FOR (n:MembershipChange) ON (n.segment_id, n.seq);
CREATE INDEX sync_run_at IF NOT EXISTS FOR (n:SyncRun) ON (n.segment_id, n.started_at);
CREATE INDEX audit_entry_at IF NOT EXISTS FOR (n:AuditEntry) ON (n.at);
CREATE INDEX audit_batch_last_at IF NOT EXISTS FOR (n:AuditBatch) ON (n.last_at);
CREATE INDEX membership_change_customer IF NOT EXISTS FOR (n:MembershipChange) ON (n.customer_id);
CREATE INDEX consent_change_recorded IF NOT EXISTS FOR (n:ConsentChange) ON (n.purpose, n.recorded_at);
// Neo4j Bloom (bloom/graphcdp.perspective.json) suggests search terms from indexed property
// values and searches full-text indexes: identifier values (emails, phones, ids), customer
// names, emails and phones (customer_text above), and the names of segments, groups and
// destinations. The range indexes also serve the perspective's search phrases.
CREATE INDEX identifier_value IF NOT EXISTS FOR (n:Identifier) ON (n.value);
CREATE INDEX customer_display_name IF NOT EXISTS FOR (n:Customer) ON (n.display_name);
CREATE INDEX customer_email IF NOT EXISTS FOR (n:Customer) ON (n.email);
CREATE INDEX customer_phone IF NOT EXISTS FOR (n:Customer) ON (n.phone);
CREATE INDEX segment_name IF NOT EXISTS FOR (n:Segment) ON (n.name);
CREATE INDEX group_name IF NOT EXISTS FOR (n:Group) ON (n.name);
CREATE FULLTEXT INDEX identifier_text IF NOT EXISTS FOR (n:Identifier) ON EACH [n.value] OPTIONS {indexConfig: {`fulltext.analyzer`: 'url_or_email'}};
CREATE FULLTEXT INDEX name_text IF NOT EXISTS FOR (n:Segment|Group|Destination) ON EACH [n.name];
