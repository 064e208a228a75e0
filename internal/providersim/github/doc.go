// Package github simulates GitHub for Patchbay's provider simulator: the
// OAuth web flow, GitHub App authentication, the REST endpoints a sync
// reads and writes (repositories, issues, pull requests, comments), the
// rate limits and signed webhooks. Real URLs are mounted under /github:
// https://api.github.com/repos/o/r/issues is /github/repos/o/r/issues and
// https://github.com/login/oauth/authorize is /github/login/oauth/authorize.
//
// # OAuth
//
//   - GET/POST /github/login/oauth/authorize takes scopes separated by
//     commas or spaces (stored and returned comma-separated); login= or
//     sim_user= picks the user (default octocat).
//   - POST /github/login/oauth/access_token reads its parameters from the
//     query, a form or JSON; grant_type may be omitted for a code
//     exchange. The answer is form-encoded
//     (access_token=…&scope=…&token_type=bearer) unless the request sends
//     Accept: application/json. By default tokens are GitHub App user
//     tokens: ghu_… expiring after 8 hours (expires_in 28800) with a
//     ghr_… refresh token (refresh_token_expires_in 15811200) that
//     rotates on use and retires the old access token; refresh tokens
//     expire after that time on the simulated clock.
//     Options.NonExpiringUserTokens gives OAuth-app gho_… tokens instead.
//   - Token errors are HTTP 200 with error, error_description and
//     error_uri in the body (GitHub's quirk): bad_verification_code,
//     incorrect_client_credentials, redirect_uri_mismatch,
//     bad_refresh_token, unsupported_grant_type.
//   - DELETE /github/applications/{client_id}/token revokes one token,
//     DELETE …/grant revokes every token of the user (the shared OAuth
//     server keeps no per-client grants), POST …/token checks one; all
//     take Basic client credentials and {"access_token": …}.
//   - Limits: redirect_uri is required on both legs (GitHub falls back to
//     the registered callback URL); the device flow is not simulated.
//
// # GitHub Apps
//
//   - Apps come from Options.Apps or POST /_control/github/apps. An app
//     authenticates with an RS256 JWT (checked with golang-jwt/jwt/v5)
//     whose iss is its id (number or string) or client id. iat and exp are
//     checked against the simulated clock with GitHub's 60 s drift
//     allowance, and exp may be at most 10 minutes (plus drift) ahead of
//     now; GitHub's own sample sets iat 60 s back and exp 10 min ahead, so
//     the lifetime is measured from now. Failures are 401 with GitHub's
//     messages ("A JSON web token could not be decoded" for a bad
//     signature, "Integration not found", the 'exp'/'iat' claim messages).
//   - GET /github/app, GET /github/app/installations,
//     GET /github/app/installations/{id},
//     GET /github/repos/{o}/{r}/installation and
//     POST /github/app/installations/{id}/access_tokens, which answers 201
//     with a ghs_… token valid one hour of simulated time, its
//     permissions and repository_selection, optionally narrowed by
//     repositories, repository_ids and permissions (422 otherwise).
//   - Installation tokens work as "Authorization: token …" and Bearer. A
//     repository the installation was not granted answers 404, as GitHub
//     hides it; writes need the matching write permission (403 "Resource
//     not accessible by integration"), as do /user and /user/repos.
//   - GET /github/apps/{slug}/installations/new stands in for the install
//     page: it installs the app on sim_account (default octocat, all its
//     repositories) and redirects to the app's setup URL (or
//     sim_setup_url) with installation_id, setup_action=install and state.
//     An app registered with a callback_url and a client id asks for user
//     authorisation during installation, as GitHub can: the browser goes
//     to the callback URL instead, with a user authorization code added.
//
// # REST
//
// GET /github/user, /github/user/repos, /github/installation/repositories,
// /github/repos/{o}/{r}, /github/repos/{o}/{r}/issues[/{n}],
// /github/repos/{o}/{r}/pulls[/{n}]; POST …/issues, …/issues/{n}/comments,
// …/pulls; PATCH …/issues/{n} (title, body, state). Bodies follow
// GitHub's JSON (id, node_id, number, title, body, state, user, labels,
// RFC 3339 times, html_url…).
//
//   - The issues list returns issues and pull requests; pull requests carry
//     a pull_request object and have a different id in the pulls list.
//     Query: state open|closed|all (default open), sort
//     created|updated|comments, direction (default desc), since (updated
//     at or after), labels, creator. Pulls: state, sort
//     created|updated|popularity|long-running with direction desc only for
//     created (GitHub's default), head, base. Bad values are 422.
//   - per_page defaults to 30 and is capped at 100; page starts at 1. The
//     Link header has prev/next/last/first with absolute URLs on the
//     simulator, only the relations that lead somewhere.
//   - Creating an issue without a title, a comment without a body or a
//     pull request without title/head/base is 422 "Validation Failed"
//     with GitHub's errors array; head equal to base or a second open pull
//     request for the same head is 422 too.
//   - Data is generated per seed: users (Options.Users), repositories
//     (Options.Repos; default octocat/hello-world with 100 items and
//     acme/api with 250, 30% pull requests, about 45% closed, spread over
//     2024). Owners that are not users are organizations whose members are
//     all users. Rendered item JSON and whole pages are cached and
//     invalidated on change, so a page costs a map lookup.
//
// # Rate limits
//
// Every authenticated answer carries X-RateLimit-Limit, -Remaining, -Used,
// -Reset (epoch seconds) and -Resource: core. The primary limit is per
// user (Options.CoreLimit, 5000/h) or per installation
// (Options.InstallationLimit, 5000/h); app JWT requests count per app.
// When spent: 403 "API rate limit exceeded for user ID …". Writes also
// count against a secondary limit per user or installation
// (Options.SecondaryLimit per SecondaryWindow, default 80/min): 429 with
// Retry-After. All limits obey sim.Server.RateLimited. Conditional
// requests (ETag/304) are not simulated.
//
// # Webhooks
//
// Opening an issue, commenting, opening a pull request and closing,
// reopening or editing through PATCH send a delivery through the
// simulator's webhook sender: X-GitHub-Event (issues, issue_comment,
// pull_request), X-GitHub-Delivery (a UUID), X-Hub-Signature-256
// (sha256=HMAC-SHA256 of the raw body with the webhook secret, default
// "github-webhook-secret"), the legacy X-Hub-Signature,
// User-Agent: GitHub-Hookshot/…, and a body with action, the object,
// repository, sender and installation {"id"} when the change came through
// an installation token or the repository belongs to an installation.
//
// # Control endpoints
//
//   - POST /_control/github/apps {"app_id", "private_key" | "public_key",
//     "slug", "client_id", "client_secret", "setup_url"}
//   - POST /_control/github/installations {"id", "app_id", "account",
//     "repositories": ["o/r"], "permissions"}; DELETE
//     /_control/github/installations/{id}
//   - POST /_control/github/installation_tokens {"installation_id",
//     "repositories", "permissions"} mints a token without a JWT
//   - POST /_control/github/seed {"repo": "o/r", "issues", "pull_requests",
//     "private"} (re)generates a repository
//   - POST /_control/github/ratelimit {"core_limit", "installation_limit",
//     "secondary_limit", "secondary_window_seconds", "exhaust",
//     "exhaust_secondary", and "token" | "user" | "installation_id"}
//   - POST /_control/github/webhook {"secret"}
package github
