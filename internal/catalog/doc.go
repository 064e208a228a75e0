// Package catalog is Patchbay's provider catalog: which APIs exist, how to
// authenticate against each of them, and how the proxy should talk to them.
//
// Entries use the field names of Nango's providers.yaml (auth_mode,
// authorization_url, token_url, proxy.base_url, connection_config, …) so
// that a user's own Nango-format file can be loaded over the built-in one
// (PATCHBAY_PROVIDERS_FILE) and so the GET /providers responses keep Nango's
// JSON shape for Nango's SDKs. The built-in providers.yaml is embedded in the
// binary and written by us from the providers' public API documentation.
//
// Loading happens once, at start: every entry is decoded field by field so a
// malformed entry produces an error that names the file, the provider and
// the field path, and every error in a file is reported, not just the first.
// After loading, a Catalog is immutable and safe for concurrent use; code
// behind it trusts the entries it returns.
//
// One field is Patchbay's own: proxy.rate_limit, a provider's published
// limit per connection, which the proxy throttles itself to (RateLimit).
// Unlike Nango's fields it is strict about unknown keys.
//
// Entries whose auth mode Patchbay does not implement yet are still loaded
// and listed (so the catalog mirrors Nango's) but carry a non-empty
// Provider.Unsupported reason. The implemented modes are those
// internal/authmode registers (AuthModeSupported).
//
// Interpolate fills Nango's ${…} placeholders (connection config,
// credentials, tokens, helper functions such as ${base64(…)}, dates via
// ${now:FORMAT} and "a || b" fallbacks). Its errors name placeholders but
// never include the values, because those values are secrets.
package catalog
