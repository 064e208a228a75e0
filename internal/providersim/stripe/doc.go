// Package stripe simulates the part of Stripe's API that Patchbay's
// API_KEY auth mode needs, for the provider simulator. Real paths are
// mounted under /stripe: https://api.stripe.com/v1/balance is
// /stripe/v1/balance.
//
// # What is simulated
//
//   - Secret keys: a request authenticates with "Authorization: Bearer
//     sk_test_…" or, as Stripe also allows, HTTP Basic with the key as the
//     username and an empty password. DefaultKey is valid after every
//     reset; more keys are added and revoked through the control API.
//     Each key belongs to an account (DefaultAccount unless the control
//     request names another); an sk_live_/rk_live_ key answers with
//     livemode true.
//   - Auth errors, all 401 with WWW-Authenticate: Basic realm="Stripe" and
//     Stripe's body {"error":{"message","type":"invalid_request_error"}}:
//     no key ("You did not provide an API key. …") or an unknown or
//     revoked key ("Invalid API Key provided: sk_test_****…abcd", the key
//     masked as Stripe masks it: prefix and last four characters shown).
//   - GET /v1/balance: the account's balance object (available, pending,
//     connect_reserved in usd), amounts drawn from the seed.
//   - GET /v1/customers: a list object {"object":"list","url",
//     "has_more","data"} of Options.Customers customers per account,
//     newest first, with limit (1–100, default 10; anything else is a
//     400 with param "limit"), starting_after / ending_before (an unknown
//     id is a 400 resource_missing with the param named) and an email
//     filter. GET /v1/customers/{id} reads one (404 resource_missing).
//   - Every answer carries a Request-Id header (req_…).
//
// Rate limits are not simulated (Stripe's 100 read requests per second in
// live mode are out of reach of any test).
//
// # Control endpoints
//
//   - POST /_control/stripe/keys {"key"?, "account"?} adds a secret key
//     (sk_ or rk_, test or live, alphanumerics after the prefix; a random
//     sk_test_ key when none is given) and answers 201 {"key","account"}.
//   - DELETE /_control/stripe/keys/{key} revokes a key (DefaultKey too,
//     until the next reset): 204, or 404 for an unknown key.
package stripe
