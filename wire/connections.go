package wire

// ConnectionError is one entry of a connection's "errors": a health
// problem, said inline (Nango points at a log instead).
type ConnectionError struct {
	// Type is "auth" (refreshing the credentials failed for good) or
	// "sync".
	Type string `json:"type"`
	// Code is machine-readable, e.g. "refresh_token_invalid".
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// EndUser is a connection's end_user as the server answers it: optional
// members are null when unset.
type EndUser struct {
	ID           string            `json:"id"`
	Email        *string           `json:"email"`
	DisplayName  *string           `json:"display_name"`
	Tags         map[string]string `json:"tags"`
	Organization *Organization     `json:"organization"`
}

// Organization is an end user's organization as the server answers it.
type Organization struct {
	ID          string  `json:"id"`
	DisplayName *string `json:"display_name"`
}
