// Package trello simulates Trello's OAuth 1.0a server and a little of its
// REST API for Patchbay's provider simulator. trello.com/1/… and
// api.trello.com/1/… are both mounted under /trello/1:
// https://trello.com/1/OAuthGetRequestToken is
// /trello/1/OAuthGetRequestToken and https://api.trello.com/1/members/me
// is /trello/1/members/me.
//
// Signatures are checked by this package's own RFC 5849 code, written
// apart from internal/auth/oauth1, so the simulator is an independent
// check of Patchbay's client.
//
// # What is simulated
//
//   - Consumers: the default API key "trello-client-id" with OAuth secret
//     "trello-client-secret" (sim.DefaultClient("trello")), plus keys
//     registered through the control API. An unknown key gets 401
//     "invalid key".
//   - POST (or GET) /trello/1/OAuthGetRequestToken: signed with the
//     consumer secret alone (HMAC-SHA1 or PLAINTEXT), oauth_callback
//     required (an absolute URL or "oob"; missing → 400). Answers
//     form-encoded oauth_token, oauth_token_secret and
//     oauth_callback_confirmed=true. Temporary credentials live
//     Options.RequestTokenTTL (10 minutes).
//   - GET /trello/1/OAuthAuthorizeToken?oauth_token=…&name=…&scope=…&
//     expiration=…: scope is comma-separated read, write, account
//     (default read); expiration is 1hour, 1day, 30days (default) or
//     never. Consent is given at once, by Options.Member or the member
//     named by sim_user=…, unless the server is interactive, in which case
//     a consent page posts back. Approval redirects to the callback with
//     oauth_token and oauth_verifier added to its query. Denial (POST
//     decision=deny) redirects with oauth_token alone and no
//     oauth_verifier, the request token being dropped, so a client
//     recognises a denial by the missing verifier. For "oob" a page shows
//     the verifier instead. An unknown, expired or already approved
//     request token gets 400 "invalid token".
//   - POST (or GET) /trello/1/OAuthGetAccessToken: signed with the
//     consumer secret and the request token's secret, carrying
//     oauth_verifier. The request token serves one exchange: once the
//     signature checks out it is spent, whatever the verifier (a wrong one
//     is 401 "invalid verifier"); afterwards it is 401 "invalid token".
//     Answers form-encoded oauth_token ("ATTA" + 64 hex digits) and
//     oauth_token_secret; the request log notes grant=access_token
//     (grant=request_token for the first leg).
//   - API: GET /trello/1/members/me (fields=…; email only with the account
//     scope), GET /trello/1/members/me/boards (filter=all|open|closed|
//     starred, fields=…) and POST /trello/1/boards (name, desc; needs the
//     write scope, else 401 "unauthorized permission requested"). Every
//     member has Options.Boards boards generated from the seed and the
//     username, one starred and one closed.
//   - API authentication, either way Trello accepts: an OAuth
//     Authorization header signed with the access token (request log
//     auth=oauth), or key=…&token=… in the query or form body
//     (auth=key_token). Trello also documents an Authorization header
//     with only oauth_consumer_key and oauth_token; it is accepted and
//     logged as auth=oauth_unsigned, so a test can insist on signing.
//
// # Signature checks and their errors
//
// All 401s are plain text with no trailing newline, as Trello sends them.
// "invalid key" and "invalid token" are Trello's own bodies; the others
// are this simulator's wording, since Trello's is not documented:
//
//   - "invalid signature": the HMAC-SHA1 or PLAINTEXT signature does not
//     match the base string of RFC 5849 §3.4.1 computed from the request
//     as received (scheme and host from the Host header, or
//     X-Forwarded-Proto/-Host; default ports dropped; query and
//     form-encoded body parameters included).
//   - "invalid timestamp": oauth_timestamp is missing or more than
//     Options.TimestampWindow (5 minutes) from the simulated clock.
//   - "invalid nonce": the nonce is missing, or was already used with the
//     same consumer, token and timestamp (a replay).
//   - "invalid signature method" (only HMAC-SHA1 and PLAINTEXT) and
//     "invalid oauth_version" (only 1.0, when given).
//
// A malformed or duplicated OAuth header parameter is a 400. Protocol
// parameters are read from the Authorization header only, not from the
// query or body.
//
// # Not simulated
//
// Rate limits, webhooks, the /1/authorize token page and every API route
// but the three above.
//
// # Control endpoints
//
//   - POST /_control/trello/consumers {"key","secret"} registers an API
//     key and its OAuth secret (until reset).
//   - POST /_control/trello/tokens {"key","member","scope","expiration"}
//     mints a token without the OAuth dance and answers {"token",
//     "token_secret","key","member","scope","expiration"}.
//   - DELETE /_control/trello/tokens/{token} revokes a token, as a member
//     does in their settings: 200 {"revoked":1}, 404 when unknown.
package trello
