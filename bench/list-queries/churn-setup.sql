-- The churn workload's plan: :transactions transactions (default 50,000) of 5 events each (1 insert, 4 updates of
-- the state), a transaction's events spread over the next 2,500 events of others, as transactions overlap in time.
\if :{?transactions} \else \set transactions 50000 \endif
CREATE TABLE churn_work AS
SELECT row_number() OVER (ORDER BY n + j * 500, n) AS k, n, j
FROM generate_series(0, :transactions - 1) n, generate_series(0, 4) j;
CREATE UNIQUE INDEX ON churn_work (k);
CREATE SEQUENCE churn_next;
CREATE TABLE churn_body AS
SELECT convert_to(repeat('x', 1200), 'UTF8') AS body,
       jsonb_build_object('id', 'churn', 'message', repeat(md5('churn'), 30)) AS snapshot;
ANALYZE churn_work;
