-- wrk script: POST /v1/check with one allowed actual request of the tenant
-- corsd-bench-populate creates.
wrk.method = "POST"
wrk.path = "/v1/check"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"tenant":"bench","origin":"https://app.example.com","method":"GET","path":"/api/items"}'
