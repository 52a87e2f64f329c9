#!/usr/bin/env python3
"""Times GET /transactions' SQL (old and new shapes, see README.md), per filter, first page and a deep cursor page, with custom and
generic plans (EXPLAIN ANALYZE of a prepared statement). Usage: compare.py PSQL-ARGS... (env ROUNDS, default 5)."""
import os, re, subprocess, sys, statistics

psql = sys.argv[1:]
ROUNDS = int(os.environ.get("ROUNDS", "5"))
TAKE = 251

def run(sql):
    out = subprocess.run(psql + ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"], input=sql, capture_output=True, text=True)
    if out.returncode != 0: raise SystemExit(out.stderr + sql)
    return out.stdout

def lit(v):
    if isinstance(v, list): return "ARRAY[" + ",".join(lit(x) for x in v) + "]::text[]"
    if isinstance(v, int): return str(v)
    return "'" + str(v).replace("'", "''") + "'"

# Filters as the API takes them: (name, dict)
FILTERS = [
    ("none", {}),
    ("status=completed", {"status": ["completed"]}),
    ("status=error", {"status": ["error"]}),
    ("status=error,expired", {"status": ["error", "expired"]}),
    ("sep=24", {"sep": "24"}),
    ("kind=withdrawal", {"kind": "withdrawal"}),
    ("asset=USDC", {"asset": "stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN"}),
    ("asset=BRL&status=completed", {"asset": "stellar:BRL:GDVKY2GU2DRXWTBEYJJWSFXIGBZV6AZNBVVSUHEPZI54LIS6BA7DVVSP", "status": ["completed"]}),
    ("customer_id", {"customer": "customer-123"}),
    ("account", {"account": None}),
    ("updated window", {"after": "2026-07-01T00:00:00Z", "before": "2026-07-15T00:00:00Z"}),
]

def build(shape, f, cursor, single_status_eq):
    """The SQL text and parameter values, as QueryStore builds them."""
    params = []
    def add(v):
        params.append(v); return "$%d" % len(params)
    pinned = add(f["pin"])
    conds = []  # (template with {x} for the alias of the filtered row)
    if "sep" in f: p = add(f["sep"]); conds.append(lambda x, t, p=p: f"{x}.sep = {p}")
    if "kind" in f: p = add(f["kind"]); conds.append(lambda x, t, p=p: f"{x}.kind = {p}")
    if "status" in f:
        if single_status_eq and len(f["status"]) == 1:
            p = add(f["status"][0]); conds.append(lambda x, t, p=p: f"{x}.status = {p}")
        else:
            p = add(f["status"]); conds.append(lambda x, t, p=p: f"{x}.status = ANY({p})")
    if "asset" in f: p = add(f["asset"]); conds.append(lambda x, t, p=p: f"{x}.assets @> ARRAY[{p}]")
    if "account" in f: p = add(f["account"]); conds.append(lambda x, t, p=p: f"{x}.accounts @> ARRAY[{p}]")
    if "customer" in f: p = add(f["customer"]); conds.append(lambda x, t, p=p: f"{x}.customer_ids @> ARRAY[{p}]")
    if "after" in f: p = add(f["after"]); conds.append(lambda x, t, p=p: f"{x}.order_key > {p}::timestamptz")
    if "before" in f: p = add(f["before"]); conds.append(lambda x, t, p=p: f"{x}.order_key < {p}::timestamptz")
    if cursor: k = add(cursor[0]); i = add(cursor[1]); conds.append(lambda x, t, k=k, i=i: f"({x}.order_key, {t}.id) < ({k}::timestamptz, {i})")
    take = add(TAKE)
    def where(x, t, first):
        c = [cond(x, t) for cond in conds]
        return ((" AND " if not first else " WHERE ") + " AND ".join(c)) if c else ""
    if shape == "old":
        sql = f"""SELECT convert_to(x.snapshot::text, 'UTF8'), x.order_key, x.id FROM (
 SELECT t.id, t.sep, t.kind, t.status, t.assets, t.accounts, t.customer_ids, t.order_key, t.snapshot
 FROM transactions t WHERE t.head_seq <= {pinned}
 UNION ALL
 SELECT t.id, e.sep, e.kind, e.status, e.assets, e.accounts, e.customer_ids, e.order_key,
        convert_from(e.body, 'UTF8')::jsonb -> 'payload' -> 'transaction'
 FROM transactions t CROSS JOIN LATERAL (SELECT * FROM events e WHERE e.transaction_id = t.id AND e.seq <= {pinned}
     ORDER BY e.order_key DESC, e.seq DESC LIMIT 1) e
 WHERE t.head_seq > {pinned}) x {where('x', 'x', True)}
ORDER BY x.order_key DESC, x.id DESC LIMIT {take}"""
    else:
        changed = (f"t.head_seq > {pinned} AND t.id IN (SELECT c.transaction_id FROM events c WHERE c.seq > {pinned})"
                   if shape == "new-noheadidx" else f"t.head_seq > {pinned}")
        sql = f"""SELECT convert_to(coalesce(p.snapshot, convert_from(b.body, 'UTF8')::jsonb -> 'payload' -> 'transaction')::text, 'UTF8'), p.order_key, p.id
FROM (
 (SELECT t.id, t.order_key, t.snapshot, NULL::bigint AS seq FROM transactions t
  WHERE t.head_seq <= {pinned}{where('t', 't', False)}
  ORDER BY t.order_key DESC, t.id DESC LIMIT {take})
 UNION ALL
 (SELECT t.id, e.order_key, NULL::jsonb, e.seq FROM transactions t
  CROSS JOIN LATERAL (SELECT e.seq, e.order_key, e.sep, e.kind, e.status, e.assets, e.accounts, e.customer_ids FROM events e
      WHERE e.transaction_id = t.id AND e.seq <= {pinned} ORDER BY e.order_key DESC, e.seq DESC LIMIT 1) e
  WHERE {changed}{where('e', 't', False)}
  ORDER BY e.order_key DESC, t.id DESC LIMIT {take})
 ORDER BY order_key DESC, id DESC LIMIT {take}
) p LEFT JOIN events b ON b.seq = p.seq
ORDER BY p.order_key DESC, p.id DESC"""
    return sql, params

def timing(shape, f, cursor, mode):
    sql, params = build(shape, f, cursor, shape != "old")
    # Six executions on one session, then the timed ones: as Npgsql's prepared statement would run.
    script = [f"SET plan_cache_mode = {mode};", "PREPARE q AS " + sql + ";"]
    args = "(" + ",".join(lit(v) for v in params) + ")"
    for _ in range(int(os.environ.get("WARM", "6"))): script.append(f"EXECUTE q{args};")
    script.append("\\o /dev/null")
    script.append("\\o")
    for _ in range(ROUNDS): script.append(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE q{args};")
    out = run("\n".join(script))
    times = [float(m) for m in re.findall(r'"Execution Time": ([0-9.]+)', out)]
    plans = [float(m) for m in re.findall(r'"Planning Time": ([0-9.]+)', out)]
    return statistics.median(times) + (statistics.median(plans) if plans else 0)

def main():
    pin = int(run("SELECT max(seq) - %d FROM events" % int(os.environ.get("PIN_BACK", "2000"))).strip())
    account = run("SELECT accounts[1] FROM transactions ORDER BY id LIMIT 1").strip()
    shapes = os.environ.get("SHAPES", "old new").split()
    print("| filter | page | " + " | ".join(f"{s} custom ms | {s} generic ms" for s in shapes) + " |")
    print("|---|---|" + "---|---|" * len(shapes))
    for name, f in FILTERS:
        f = dict(f, pin=pin)
        if "account" in f: f["account"] = account
        for page in ("first", "deep"):
            cursor = None
            if page == "deep":
                sql0, params0 = build("old", f, None, False)
                sql0 = sql0.rsplit("LIMIT", 1)[0]
                for idx in range(len(params0), 0, -1): sql0 = sql0.replace("$%d" % idx, lit(params0[idx - 1]))
                row = run(f"SELECT to_char(order_key AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '|' || id FROM ({sql0}) z "
                          f"OFFSET (SELECT floor(count(*) * 0.6) FROM ({sql0}) y) LIMIT 1").strip()
                if not row: continue
                cursor = row.split("|", 1)
            cells = []
            for s in shapes:
                for mode in ("force_custom_plan", "force_generic_plan"):
                    cells.append("%.1f" % timing(s, f, cursor, mode))
            print(f"| {name} | {page} | " + " | ".join(cells) + " |", flush=True)

main()
