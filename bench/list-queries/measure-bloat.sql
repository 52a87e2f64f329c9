-- HOT updates and index size and density of table transactions (needs pgstattuple). Run after VACUUM: before it,
-- a btree's leaf density counts the dead entries too. Deleted pages are empty pages vacuum gave back for reuse.
CREATE EXTENSION IF NOT EXISTS pgstattuple;
SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd, autovacuum_count, pg_size_pretty(pg_relation_size('transactions')) AS heap
FROM pg_stat_user_tables WHERE relname = 'transactions';
SELECT c.relname AS index, am.amname, pg_size_pretty(pg_relation_size(c.oid)) AS size,
       CASE WHEN am.amname = 'btree' THEN (pgstatindex(c.oid::regclass)).avg_leaf_density END AS leaf_density,
       CASE WHEN am.amname = 'btree' THEN (pgstatindex(c.oid::regclass)).leaf_pages END AS leaf_pages,
       CASE WHEN am.amname = 'btree' THEN (pgstatindex(c.oid::regclass)).deleted_pages END AS deleted_pages
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid = 'transactions'::regclass ORDER BY 1;
SELECT pg_size_pretty(pg_indexes_size('transactions')) AS all_indexes;
