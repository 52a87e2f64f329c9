-- wrk script: POST /event with AP-style SEP-31 events (~1.5 KB), a unique event id per request.
-- Environment: TOKEN (Bearer JWT minted as AP does), TRANSACTIONS (how many transactions the events spread over),
-- RUN (unique per wrk invocation: LuaJIT's math.random is unseeded, so every run would repeat the same event ids and
-- measure duplicate handling instead of stores).
local token = os.getenv("TOKEN")
local transactions = tonumber(os.getenv("TRANSACTIONS") or "100000")
local run = assert(os.getenv("RUN"), "set RUN to a value unique to this wrk run")
local counter = 0

local template = [[{"id":"%s","type":"transaction_status_changed","timestamp":"2024-09-25T18:59:32.123456Z","payload":{"transaction":{"id":"%s","sep":"31","kind":"receive","status":"pending_receiver","amount_expected":{"amount":"10","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"amount_in":{"amount":"10","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"amount_out":{},"amount_fee":{"amount":"0.3","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"fee_details":{"total":"0.3","asset":"stellar:USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP","details":[{"name":"Service fee","amount":"0.3"}]},"started_at":"2024-06-25T20:33:17.013738Z","updated_at":"2024-06-25T20:%02d:%02d.%06dZ","transfer_received_at":"2024-06-25T20:34:59Z","message":"funds received","stellar_transactions":[{"id":"2b862ac297c93e2db43fc58d407cc477396212bce5e6d5f61789f963d5a11300","memo":"OWQ3ZDVmZTItOTAxOS00ZmJmLWI0OTUtYzYzOTJjNjY=","memo_type":"hash","created_at":"2024-06-25T20:34:58Z","envelope":"AAAAAgAAAAB...","payments":[{"id":"12884905985","amount":{"amount":"10.0000000","asset":"USDC:GDQOE23CFSUMSVQK4Y5JHPPYK73VYCNHZHA7ENKCV37P6SUEO6XQBKPP"},"payment_type":"payment","source_account":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO","destination_account":"GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF"}]}],"client_name":"referenceCustodial","customers":{"sender":{"id":"6c1770b0-0ea4-46f8-a4b6-5fb3e3a0b6f1"},"receiver":{"id":"31212353-f265-4dba-9eb4-0bbeda3ba7f2"}},"creator":{"account":"GBLGJA4TUN5XOGTV6WO2BWYUI2OZR5GYQ5PDPCRMQ5XEPJOYWB2X4CJO"}}}}]]

-- Each thread gets its own number (a global of its Lua state), so event ids never collide across threads.
local threads = 0
function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json; charset=utf-8"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  counter = counter + 1
  local event_id = string.format("%s-%d-%d", run, thread_id, counter)
  local transaction = string.format("bench-tx-%d", (counter * 7919 + thread_id) % transactions)
  -- updated_at grows with the counter, so later events are newer snapshots of their transaction.
  local micros = counter % 1000000
  local seconds = math.floor(counter / 1000000)
  local body = string.format(template, event_id, transaction, 35 + math.floor(seconds / 60) % 24, seconds % 60, micros)
  return wrk.format(nil, "/event", nil, body)
end
