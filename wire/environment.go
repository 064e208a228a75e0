package wire

// ConnectUISettings white-label an environment's hosted Connect UI
// (GET and PUT /environment/connect-ui). Once any is set, the UI no
// longer shows Patchbay's branding.
type ConnectUISettings struct {
	// Name replaces "Patchbay" in the UI (at most 100 characters).
	Name string `json:"name"`
	// LogoURL is an https URL of the customer's logo.
	LogoURL string `json:"logo_url"`
	// PrimaryColor is a hex colour such as "#1a73e8".
	PrimaryColor string `json:"primary_color"`
	DarkMode     bool   `json:"dark_mode"`
}

// WebhookSettings are where an environment's outbound webhooks go
// (GET and PUT /environment/webhooks).
type WebhookSettings struct {
	WebhookURL          string `json:"webhook_url"`
	SecondaryWebhookURL string `json:"secondary_webhook_url"`
	// SendAuthWebhooks turns "auth" webhooks (new connections, refresh
	// failures) on; the server's default is on.
	SendAuthWebhooks bool `json:"send_auth_webhooks"`
	// SigningKey verifies the X-Nango-Hmac-Sha256 header of webhooks. The
	// server shows it on GET only and ignores it on PUT.
	SigningKey string `json:"signing_key,omitempty"`
}
