-- A dataset for measuring the list queries: :events events (default 1,000,000) over :transactions transactions
-- (default 250,000), 2 to 6 events each, spread over 90 days; SEP 6/24/31, AP's statuses, four assets, 20,000
-- accounts, 30,000 customers. Run against a database migrated by the receiver (or scripts from its migrations).
\if :{?transactions} \else \set transactions 250000 \endif
SET synchronous_commit = off;
TRUNCATE events, transactions;
SELECT setval('event_seq', 1, false);

CREATE TEMP TABLE gen AS
SELECT n, j, k,
       'tx-' || n AS tx,
       CASE n % 10 WHEN 0 THEN '6' WHEN 1 THEN '6' WHEN 2 THEN '6' WHEN 3 THEN '24' WHEN 4 THEN '24' WHEN 5 THEN '24'
                   ELSE '31' END AS sep,
       CASE WHEN n % 10 >= 6 THEN 'receive' WHEN n % 2 = 0 THEN 'deposit' ELSE 'withdrawal' END AS kind,
       CASE WHEN j < k - 1 THEN (ARRAY['incomplete','pending_user_transfer_start','pending_anchor','pending_stellar','pending_external'])[1 + j % 5]
            ELSE (ARRAY['completed','completed','completed','completed','completed','completed','completed','completed','completed','completed',
                        'completed','completed','completed','completed','completed','error','expired','refunded','pending_anchor','pending_user_transfer_start'])[1 + n % 20]
       END AS status,
       timestamptz '2026-06-01' + n * interval '31 seconds' AS started_at,
       timestamptz '2026-06-01' + n * interval '31 seconds' + j * ((1 + (n * 31) % 17) * interval '47 seconds') AS updated_at,
       (ARRAY['stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN','stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN',
              'stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN','stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN',
              'stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN','stellar:EURC:GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2',
              'stellar:EURC:GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2','stellar:native','stellar:native',
              'stellar:BRL:GDVKY2GU2DRXWTBEYJJWSFXIGBZV6AZNBVVSUHEPZI54LIS6BA7DVVSP'])[1 + (n / 3) % 10] AS asset,
       'G' || upper(md5((n % 20000)::text)) AS account,
       'customer-' || (n % 30000) AS customer
FROM generate_series(0, :transactions - 1) n,
     LATERAL (SELECT 2 + (n * 7919) % 5 AS k) kk,
     LATERAL generate_series(0, k - 1) j;

CREATE TEMP TABLE gen_json AS
SELECT g.*, 'event-' || n || '-' || j AS event_id,
       jsonb_build_object(
           'id', tx, 'sep', sep, 'kind', kind, 'status', status,
           'started_at', to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'updated_at', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'amount_in', jsonb_build_object('amount', ((n % 997) + 10)::text, 'asset', asset),
           'amount_out', jsonb_build_object('amount', ((n % 997) + 9)::text, 'asset', 'iso4217:USD'),
           'amount_fee', jsonb_build_object('amount', '1', 'asset', asset),
           'source_account', account,
           'customers', jsonb_build_object('sender', jsonb_build_object('id', customer), 'receiver', jsonb_build_object('id', customer)),
           'message', 'generated ' || repeat(md5(event_id_seed::text), 8),
           'memo', md5(n::text), 'memo_type', 'hash',
           'stellar_transactions', '[]'::jsonb) AS snapshot
FROM gen g, LATERAL (SELECT n * 10 + j AS event_id_seed) s;

INSERT INTO events (id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts, customer_ids,
                    event_timestamp, body, received_at, source)
SELECT event_id, CASE WHEN j = 0 THEN 'transaction_created' ELSE 'transaction_status_changed' END, tx, sep, kind, status,
       updated_at, updated_at, CASE WHEN asset = 'iso4217:USD' THEN ARRAY[asset] ELSE ARRAY[asset, 'iso4217:USD'] END,
       ARRAY[account], ARRAY[customer], updated_at,
       convert_to(jsonb_build_object('id', event_id, 'type', 'transaction_status_changed', 'timestamp', snapshot ->> 'updated_at',
                                     'payload', jsonb_build_object('transaction', snapshot))::text, 'UTF8'),
       updated_at, 'ap'
FROM gen_json ORDER BY updated_at, n, j;

INSERT INTO transactions (id, sep, kind, status, started_at, updated_at, order_key, head_seq, head_event_id, snapshot,
                          assets, accounts, customer_ids, changed_at)
SELECT DISTINCT ON (e.transaction_id) e.transaction_id, e.sep, e.kind, e.status, g.started_at, e.updated_at, e.order_key, e.seq, e.id,
       g.snapshot, e.assets, e.accounts, e.customer_ids, e.received_at
FROM events e JOIN gen_json g ON g.event_id = e.id
ORDER BY e.transaction_id, e.order_key DESC, e.seq DESC;

VACUUM ANALYZE events;
VACUUM ANALYZE transactions;
SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM transactions) AS transactions;
