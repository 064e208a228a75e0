// Package ghost simulates the part of Ghost's Admin API that Patchbay's
// JWT auth mode needs, for the provider simulator. A Ghost site's admin
// domain is a path segment here: https://{adminDomain}/ghost/api/admin/
// site/ is /ghost/{adminDomain}/ghost/api/admin/site/.
//
// # What is simulated
//
//   - Sites: any lowercase host-like name (letters, digits, dots, dashes)
//     is a site, created on first use with its own posts.
//   - Admin API keys: an id (24 hex characters) and a secret (64 hex
//     characters). Every site has DefaultKeyID / DefaultKeySecret after a
//     reset (DefaultAdminKey is the "id:secret" form Ghost shows); the
//     control API adds and removes keys per site.
//   - Token authentication exactly as Ghost checks it: "Authorization:
//     Ghost <jwt>", the JWT signed HS256 with the hex-decoded secret, its
//     header's kid the key id, its payload's aud matching /admin/ (Ghost
//     tests aud against /?admin/?$, so "/v5/admin/" passes too), iat at
//     most 5 minutes before now (Ghost's maxAge) and exp, when present,
//     not passed. The simulator also refuses an exp more than 5 minutes
//     after iat, the limit Ghost's docs state, so a client that signs
//     longer-lived tokens (and would fail on Ghost once maxAge runs out)
//     fails at once. Every time check reads the simulator's clock.
//   - Errors in Ghost's body {"errors":[{"message","context","type",
//     "details","property","help","code","id","ghostErrorCode"}]}: no
//     Authorization header is 403 NoPermissionError; another scheme is
//     401 INVALID_AUTH_HEADER; a token that does not decode is 400
//     BadRequestError "Invalid token"; no kid is 400 "Admin API kid
//     missing."; an unknown kid is 401 "Unknown Admin API Key"; a wrong
//     algorithm or signature, an expired token, a wrong audience or a
//     missing or too old iat is 401 "Invalid token: <reason>" with
//     jsonwebtoken's reasons (invalid signature, jwt expired, jwt audience
//     invalid…, maxAge exceeded).
//   - GET /ghost/api/admin/site/: the site's title, description, url and
//     version.
//   - GET /ghost/api/admin/posts/: Options.Posts posts (drafts first,
//     then published ones newest first, as Ghost orders them), paged with
//     limit (default 15, or "all") and page, and meta.pagination {page,
//     limit, pages, total, next, prev}. A limit or page that is not a
//     positive number is a 422 ValidationError. GET …/posts/{id}/ reads
//     one (404 NotFoundError).
//   - Every answer carries Content-Version (Ghost's version).
//
// Rate limits are not simulated.
//
// # Control endpoints
//
//   - POST /_control/ghost/sites/{site}/keys {"id"?, "secret"?} adds an
//     Admin API key to a site (both minted when omitted) and answers 201
//     {"site","id","secret","key":"id:secret"}.
//   - DELETE /_control/ghost/sites/{site}/keys/{id} removes a key (the
//     default one too, until the next reset): 204, or 404.
package ghost
