-- wrk script: GET /transactions/{id} over the transactions bench/run loaded (bench-tx-0 .. bench-tx-N-1).
local key = os.getenv("QUERY_KEY")
local transactions = tonumber(os.getenv("TRANSACTIONS") or "100000")
function init(args)
  wrk.headers["X-Api-Key"] = key
  math.randomseed(os.time() + math.random(1, 100000))
end
function request()
  return wrk.format("GET", string.format("/transactions/bench-tx-%d", math.random(0, transactions - 1)))
end
