-- One event of the churn workload (bench/list-queries/churn): the next (transaction, step) of table churn_work, stored
-- as EventStore stores it: the event row, then the transaction's state replaced when the event is newer.
SELECT n, j, k FROM churn_work WHERE k = (SELECT nextval('churn_next')) \gset
INSERT INTO events (id, type, transaction_id, sep, kind, status, updated_at, order_key, assets, accounts, customer_ids,
                    event_timestamp, body, received_at)
VALUES ('churn-' || :k, 'transaction_status_changed', 'churn-tx-' || lpad(:n::text, 27, '0'), '24', 'deposit',
        (ARRAY['incomplete','pending_user_transfer_start','pending_anchor','pending_stellar','completed'])[:j + 1],
        timestamptz '2026-01-01' + :k * interval '1 second', timestamptz '2026-01-01' + :k * interval '1 second',
        ARRAY['stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN', 'iso4217:USD'],
        ARRAY['G' || upper(md5((:n % 20000)::text))], ARRAY['customer-' || (:n % 30000)],
        now(), (SELECT body FROM churn_body), now())
RETURNING seq \gset
INSERT INTO transactions AS t (id, sep, kind, status, started_at, updated_at, order_key, head_seq, head_event_id,
                               snapshot, assets, accounts, customer_ids, changed_at)
SELECT transaction_id, sep, kind, status, timestamptz '2026-01-01', updated_at, order_key, seq, id,
       (SELECT snapshot FROM churn_body), assets, accounts, customer_ids, received_at
FROM events WHERE seq = :seq
ON CONFLICT (id, anchor) DO UPDATE SET
    sep = excluded.sep, kind = excluded.kind, status = excluded.status, started_at = excluded.started_at,
    updated_at = excluded.updated_at, order_key = excluded.order_key, head_seq = excluded.head_seq,
    head_event_id = excluded.head_event_id, snapshot = excluded.snapshot, assets = excluded.assets,
    accounts = excluded.accounts, customer_ids = excluded.customer_ids, changed_at = excluded.changed_at
WHERE (excluded.order_key, excluded.head_seq) > (t.order_key, t.head_seq);
