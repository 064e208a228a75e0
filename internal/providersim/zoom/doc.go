// Package zoom simulates Zoom's Server-to-Server OAuth (the account
// credentials grant, Patchbay's OAUTH2_CC mode) and part of its REST API
// v2 for the provider simulator. Real URLs are mounted under /zoom:
// https://zoom.us/oauth/token is /zoom/oauth/token and
// https://api.zoom.us/v2/users is /zoom/v2/users.
//
// # What is simulated
//
//   - Apps: a Server-to-Server OAuth app is a client id and secret bound
//     to one account. The app DefaultClientID / DefaultClientSecret (the
//     simulator's usual "zoom-client-id" / "zoom-client-secret") belongs
//     to DefaultAccountID after every reset; the control API adds more.
//     Apps are Zoom's own here, not the shared /_control/clients ones,
//     because each is bound to an account.
//   - POST /zoom/oauth/token with grant_type=account_credentials and
//     account_id, in the form body or the query string, the client in an
//     HTTP Basic header. It answers {"access_token","token_type":"bearer",
//     "expires_in":3600,"scope","api_url"}; tokens come from the shared
//     OAuth server (subject: the account id), so the clock expires them
//     and /_control/revoke and /_control/tokens work. Requesting a token
//     does not invalidate earlier ones (Zoom's behaviour since 2023).
//     Every token request is annotated grant_type=… and account_id=… in
//     the request log. Errors: a wrong or missing client is 401
//     {"reason":"Invalid client_id or client_secret","error":
//     "invalid_client"}; another grant type is 400 unsupported_grant_type;
//     a missing account_id, or one the app does not belong to, is 400
//     {"reason":"Invalid account_id","error":"invalid_request"}.
//   - API auth: a Bearer token. Missing, unknown or revoked tokens get 401
//     {"code":124,"message":"Invalid access token."}; expired ones 401
//     {"code":124,"message":"Access token is expired."}, as Zoom words
//     it. A token that has scopes but not the one an endpoint needs gets
//     400 {"code":4711,"message":"Invalid access token, does not contain
//     scopes:[…]."} (tokens minted without scopes pass).
//   - GET /v2/users: the account's Options.Users users (the owner first),
//     filtered by status (active by default, inactive, pending), paged
//     with page_size (default 30, at most 300) and next_page_token ("" on
//     the last page; a token is bound to its account and status and
//     expires after 15 minutes of simulated time, then it is a 400
//     {"code":300,…}). Needs user:read:list_users:admin.
//   - GET /v2/users/{userId}: "me" (the account owner, who created the
//     app), a user id or an email; 404 {"code":1001,"message":"User does
//     not exist: …."}. Needs user:read:user:admin.
//
// Rate limits are not simulated.
//
// # Control endpoints
//
//   - POST /_control/zoom/apps {"client_id"?, "client_secret"?,
//     "account_id"?, "scopes"?} adds (or replaces) an app; omitted fields
//     are minted, the account defaults to DefaultAccountID and the scopes
//     to both user scopes above. Answers 201 with the app.
//   - DELETE /_control/zoom/apps/{client_id} deletes an app and revokes
//     the tokens issued to it: 204, or 404.
//   - POST /_control/zoom/accounts {"account_id"?, "users"} sizes an
//     account (DefaultAccountID by default) and regenerates its users.
package zoom
