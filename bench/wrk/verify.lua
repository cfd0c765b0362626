-- POST /customers/verification for a fixed email.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"someone@example.com"}'
