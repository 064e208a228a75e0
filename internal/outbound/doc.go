// Package outbound is the one policy for every request Patchbay makes to a
// provider or a customer: proxied calls, credential checks, token
// exchanges and refreshes, GitHub App tokens, OAuth 1.0a flows, outbound
// webhooks, and the authorize URLs browsers are sent to. Most of these
// URLs are built from two things: a catalog template, which the operator
// controls, and connection-config values, which an end user typed. The
// Guard keeps the second from choosing where a request goes:
//
//   - Target and Check compare a filled URL with its template, so that a
//     connection-config value can only fill its placeholder's place (a
//     host label, a host name, a port, a path segment, a query, or a whole
//     http(s) origin), and refuse hosts that name an internal address.
//     CheckValue applies the same rule to one value, so a flow can refuse
//     it, naming the field, before it builds anything.
//   - Preflight adds DNS to Check, so a name that resolves to an internal
//     address is refused before anything is sent or a browser redirected.
//   - DialContext checks every address actually dialled, after DNS, so a
//     name that re-resolves (DNS rebinding) to an internal address is
//     refused at connect time too.
//   - CheckRedirect keeps redirects on the first request's origin.
//
// Internal addresses (loopback, private, link-local, metadata, …) are
// refused unless the operator allowed them (GuardOptions.AllowedNetworks,
// PATCHBAY_PROXY_ALLOWED_NETWORKS) or the catalog itself points there: the
// provider simulator that tests and the demo use is on 127.0.0.1, and its
// catalog entries say so literally. Only the catalog's literal host gets
// that allowance; a host from connection config, an override or a
// customer's webhook URL never does.
package outbound
