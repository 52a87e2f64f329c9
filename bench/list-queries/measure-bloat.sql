-- HOT updates and index density of table transactions (needs pgstattuple).
CREATE EXTENSION IF NOT EXISTS pgstattuple;
SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd, n_live_tup, n_dead_tup, autovacuum_count, pg_size_pretty(pg_relation_size('transactions')) AS heap
FROM pg_stat_user_tables WHERE relname = 'transactions';
SELECT c.relname AS index, am.amname, pg_size_pretty(pg_relation_size(c.oid)) AS size,
       CASE WHEN am.amname = 'btree' THEN (pgstatindex(c.oid::regclass)).avg_leaf_density END AS leaf_density
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
WHERE i.indrelid = 'transactions'::regclass ORDER BY 1;
