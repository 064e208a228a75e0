// Package google simulates Google's OAuth 2 server and three of its APIs
// (Sheets v4, Calendar v3, Gmail v1) for Patchbay's provider simulator,
// following Google's documented behaviour, quirks included. Real hosts
// map under /google/:
//
//	accounts.google.com/o/oauth2/v2/auth    → /google/o/oauth2/v2/auth
//	oauth2.googleapis.com/token             → /google/token
//	oauth2.googleapis.com/revoke            → /google/revoke
//	www.googleapis.com/oauth2/v2/userinfo   → /google/oauth2/v2/userinfo (and v3)
//	sheets.googleapis.com/v4/…              → /google/v4/…
//	www.googleapis.com/calendar/v3/…        → /google/calendar/v3/…
//	gmail.googleapis.com/gmail/v1/…         → /google/gmail/v1/…
//
// # OAuth
//
// Scopes are space-separated and required; login_hint (or sim_user)
// picks the account, DefaultUser otherwise. Access tokens last an hour
// (expires_in 3599). A refresh token is issued only for
// access_type=offline, and only on a user's first consent to a client or
// when prompt=consent forces consent again (Options.RefreshTokenEveryConsent
// relaxes this). Refresh tokens do not rotate and refresh responses do not
// repeat them. Scopes come back in full URL form ("email" becomes
// …/auth/userinfo.email); "openid" adds an id_token, signed HS256 with the
// client secret rather than Google's RS256 keys. Revoking either token of
// a grant revokes the whole grant, after which refreshing fails with 400
// invalid_grant "Token has been expired or revoked."; a bad client is 401
// invalid_client. Google has no client_credentials grant.
//
// Every API answers a missing or bad token with 401 UNAUTHENTICATED in
// Google's error shape and a token lacking the method's scope with 403
// ACCESS_TOKEN_SCOPE_INSUFFICIENT. Tokens minted by the control API
// without scopes pass every scope check.
//
// # Sheets v4
//
// spreadsheets.create, .get and :batchUpdate (addSheet, deleteSheet);
// values.get, .update, :append, :clear, :batchGet and :batchUpdate. Ranges
// are A1 notation: Sheet1!A1:C10, 'My Sheet'!A:B (quotes doubled inside
// quoted names), bare A1:B2 on the first sheet, Sheet1 for a whole sheet,
// open ranges such as A2:C or 2:5. A range that does not parse or names a
// missing sheet is 400 "Unable to parse range: <range>"; a read past the
// grid is 400 "exceeds grid limits". Reads trim trailing empty cells and
// rows as Sheets does. Writes require valueInputOption: RAW stores strings
// as given, USER_ENTERED parses numbers (with thousands separators and
// percentages), booleans, formulas (stored, not evaluated) and the
// leading-apostrophe escape. Append finds the first table in the range and
// writes after its last row from its first column; INSERT_ROWS inserts
// rows first, OVERWRITE writes over what lies below. Multi-range writes
// are atomic. Each user has a quota of Options.SheetsRequestsPerMinute
// (default 60) read and as many write requests per minute, answered with
// 429 RESOURCE_EXHAUSTED past it (unless the server's rate limits are
// off). Spreadsheets belong to the user who created them; others get 403.
//
// # Calendar v3
//
// Each user's primary calendar ("primary" or the user's address) starts
// with Options.Events deterministic events around Options.Anchor:
// timed, all-day and weekly series. events.list supports maxResults
// (default 250, capped at 2500), pageToken, syncToken, timeMin, timeMax,
// singleEvents (expands series into occurrences), orderBy (startTime needs
// singleEvents, as in Google), showDeleted, updatedMin and q. The last
// page of a listing carries nextSyncToken; a listing with syncToken returns
// only what changed since, cancelled events included (with only id and
// status, all Google guarantees), and refuses the filters Google refuses
// with it. Sync tokens older than Options.SyncTokenTTL (default 7 days of
// simulated time), or issued before an expire-sync-tokens call, get 410
// fullSyncRequired. events.insert (400 "Missing end time." and friends),
// events.get and events.delete (410 on a second delete) count as changes.
//
// # Gmail v1
//
// users.messages.send takes {"raw": base64url RFC 2822}, parsed with
// net/mail: an unparsable To/Cc/Bcc header is 400 "Invalid To header",
// no recipients is 400 "Recipient address required". The sent message is
// stored with the SENT label and appears in history. Also
// users.messages.list/get, users.labels.list (system and user labels),
// users.history.list and users.getProfile (historyId). History ids grow in
// uneven steps; a startHistoryId older than the retained history (the
// newest Options.HistoryRecords records, none older than
// Options.HistoryTTL) is 404 NOT_FOUND, meaning "full sync".
//
// # Control endpoints
//
//	POST /_control/google/expire-sync-tokens   every Calendar sync token issued so far gets 410
//	POST /_control/google/calendar/changes     {"user","create","update","delete"}: change events
//	POST /_control/google/gmail/messages       {"user","count","from","subject"}: deliver mail
//	POST /_control/google/gmail/trim-history   {"user","keep"}: drop all but the newest keep history records
//
// "user" defaults to DefaultUser. Generated data depends only on the
// server's seed and the user, so the same seed gives the same calendars,
// mailboxes and pages.
package google
