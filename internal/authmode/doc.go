// Package authmode is the registry of auth modes: one file per mode
// (oauth2.go, apikey.go, …), each a *Mode registered under the name the
// catalog uses (OAUTH2, API_KEY, …), in the manner of the pagination types
// of proxy/paginate.go.
//
// A Mode says everything about its mode that the rest of Patchbay needs:
// the integration credentials it takes, what an imported connection's
// credentials hold, how its credentials are shown (getConnection) and
// handed out (getToken), how they authorize a request, whether and how
// they are renewed, and how an end user connects (a browser flow or a
// credentials form). Packages ask the registry (Lookup, Get) instead of
// switching on mode names.
//
// The token requests themselves (code exchange, refresh, installation
// tokens, client credentials, JWT signing, OAuth 1.0a) are mechanisms of
// internal/auth, which a mode picks by kind (Browser, Mint); auth keeps
// one table entry per kind (auth/mechanisms.go), and the mode marked
// Issuer of a kind is the one whose credentials its mechanism makes
// (MintJWT.Issuer() is JWT), so auth asks the kind and names no mode. A
// new mode that uses existing mechanisms is one new file here and its
// line in registry.go; a new kind of token request is also a constant
// here and an entry in auth's table. The catalog accepts the modes
// registered here (catalog.AuthModeSupported).
package authmode
