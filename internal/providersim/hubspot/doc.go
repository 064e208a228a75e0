// Package hubspot simulates HubSpot's CRM contacts API (v3) and its OAuth
// server for Patchbay's provider simulator. Real paths are mounted under
// /hubspot: https://api.hubapi.com/crm/v3/objects/contacts is
// /hubspot/crm/v3/objects/contacts, and app.hubspot.com/oauth/authorize is
// /hubspot/oauth/authorize.
//
// # What is simulated
//
//   - OAuth 2: GET/POST /hubspot/oauth/authorize (space-separated scopes;
//     sim_user=<hub id> picks the portal), POST /hubspot/oauth/v1/token
//     (form body; {"token_type":"bearer","refresh_token","access_token",
//     "expires_in":1800,"hub_id","scopes"}; refresh tokens do not rotate),
//     GET /hubspot/oauth/v1/access-tokens/{token} (hub_id, user, scopes,
//     expires_in…) and DELETE /hubspot/oauth/v1/refresh-tokens/{token}.
//     Token errors use HubSpot's bodies, all 400: BAD_CLIENT_ID,
//     BAD_CLIENT_SECRET, BAD_AUTH_CODE, BAD_REDIRECT_URI,
//     BAD_REFRESH_TOKEN, BAD_GRANT_TYPE.
//   - Portals: a token's subject is its portal (hub) id, and every portal
//     has its own contacts, generated lazily from the seed (see portal in
//     data.go): contact i costs nothing until read, and only contacts
//     changed afterwards are stored. A portal of a million contacts takes
//     no memory and no time to create.
//   - Contacts: list (GET, limit 1–100, default 10, opaque cursor, id
//     order, properties=a,b, archived=true), read (GET …/{id}, also
//     ?idProperty=email), create (POST → 201, duplicate email → 409
//     CONFLICT "Contact already exists. Existing ID: …"), update (PATCH)
//     and archive (DELETE → 204). Unknown or read-only properties in a
//     write are a 400 VALIDATION_ERROR.
//   - Search: POST …/contacts/search with filterGroups (OR of ANDs; at
//     most 5 groups, 6 filters each, 18 in all), operators EQ, NEQ, GT,
//     GTE, LT, LTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY,
//     CONTAINS_TOKEN, NOT_CONTAINS_TOKEN, one sort (ASCENDING or
//     DESCENDING), a free-text query, properties, limit ≤ 200 and an
//     offset cursor. Filters and sorts on hs_object_id, createdate and
//     lastmodifieddate are answered from index ranges without building
//     contacts, so they stay fast on a million-contact portal; filters or
//     sorts on other properties scan the portal (O(size) per request).
//   - Auth errors: 401 {"status":"error","category":"INVALID_AUTHENTICATION"
//     or "EXPIRED_AUTHENTICATION",…}; a token without a contacts scope
//     gets 403 MISSING_SCOPES (Options.IgnoreScopes turns that off).
//   - Webhooks: every change (API or control) is POSTed to the simulator's
//     webhook URL as a JSON array of HubSpot events (contact.creation,
//     contact.deletion, contact.propertyChange), up to 100 per request,
//     signed with X-HubSpot-Signature-v3 (base64 HMAC-SHA256 of method +
//     full URL + body + timestamp, keyed with the client secret),
//     X-HubSpot-Request-Timestamp and the older v1 signature.
//
// # Quirks and limits
//
//   - Every API answer carries X-HubSpot-RateLimit-Daily, -Daily-Remaining,
//     -Interval-Milliseconds (10000), -Max and -Remaining; over 100
//     requests per 10 s per app and portal (Options.BurstLimit) or the daily
//     limit gives 429 with HubSpot's RATE_LIMIT body (policyName
//     TEN_SECONDLY_ROLLING or DAILY) and a Retry-After.
//   - Search is limited to 5 requests per second per portal: 429 with
//     policyName SECONDLY, "You have reached your secondly limit.".
//   - Search cannot page past 10,000 results: after ≥ 10000 is a 400
//     VALIDATION_ERROR, whatever the total.
//   - List limit above 100 and search limit above 200 are a 400
//     VALIDATION_ERROR rather than silently shortened pages.
//   - Archived contacts leave the list and search and appear only with
//     archived=true.
//
// All limits obey sim.Server.RateLimited.
//
// # Control endpoints
//
//   - POST /_control/hubspot/portals {"portal_id":…, "contacts":N} sizes
//     (and resets) a portal; portal_id defaults to Options.PortalID.
//   - GET /_control/hubspot/portals/{portalId} reports a portal's size and
//     its changed, created and archived counts.
//   - POST /_control/hubspot/modify {"portal_id":…, "modify":N,
//     "delete":M, "create":K} changes the names of N live contacts
//     (lastmodifieddate = simulated now), archives M and creates K,
//     deterministically for the seed, and answers
//     {"modified":[ids], "deleted":[ids], "created":[ids]}.
package hubspot
