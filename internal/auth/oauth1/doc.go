// Package oauth1 is Patchbay's OAuth 1.0a client (RFC 5849) for the
// providers that still use it three-legged (Trello, Twitter's v1 API):
// obtaining temporary credentials, building the authorization URL,
// exchanging the verifier for token credentials, and signing requests with
// HMAC-SHA1 or PLAINTEXT.
//
// The signature base string follows RFC 5849 §3.4.1 exactly: the method in
// upper case; the base string URI with scheme and host in lower case,
// default ports dropped and no query; the parameters from the oauth_*
// protocol set, the query and a form-encoded body, each name and value
// percent-encoded per §3.6 (only RFC 3986 unreserved characters are left
// as is, so a space is %20 and never '+'), sorted by encoded name then
// value. Protocol parameters travel in the Authorization header only
// (§3.5.1), without a realm.
//
// A provider's refusal is an *Error carrying the status and the provider's
// body (at most 1 KiB, with every secret the client sent blanked out), so
// callers can tell a rejected request (4xx) from an outage (5xx).
package oauth1
