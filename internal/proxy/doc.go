// Package proxy makes authenticated requests to providers on behalf of a
// connection: it resolves the provider's base URL, injects the
// connection's credentials the way the catalog says, throttles itself to
// the provider's known limits, retries what is safe to retry, follows the
// provider's pagination, and refuses to be pointed anywhere it should not
// go. Bodies stream through in both directions.
//
// The HTTP route (ALL /proxy/*) is internal/api's; functions call Proxy.Do
// directly, through internal/functions/serverhost.
package proxy
