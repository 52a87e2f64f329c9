-- wrk script: GET /health/live, no authentication and no database: what HTTP alone costs on this machine.
wrk.path = "/health/live"
