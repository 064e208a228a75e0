// Package client is the Go SDK for a Patchbay server's HTTP API.
//
// Patchbay speaks Nango's API, so the request and response shapes here are
// Nango's: resources arrive wrapped in {"data": …}, and errors as
// {"error": {"code", "message", "errors"}}. The package unwraps the former
// and turns the latter into *Error.
//
// A Client is bound to one environment through that environment's secret
// key, sent as "Authorization: Bearer <key>" on every call except Health
// and the two connect-session calls (GetConnectSession,
// DeleteConnectSession), which authenticate with the session's own token
// as an end user's browser does.
// Every method takes a context first; cancel it or give it a deadline to
// bound a call, since the default http.Client has no timeout.
//
// Usage:
//
//	ctx := context.Background()
//	pb := client.New("http://localhost:3003", os.Getenv("PATCHBAY_SECRET_KEY"))
//
//	_, err := pb.CreateIntegration(ctx, client.CreateIntegrationRequest{
//		UniqueKey: "github",
//		Provider:  "github",
//		Credentials: &client.IntegrationCredentials{
//			Type:         "OAUTH2",
//			ClientID:     "my-client-id",
//			ClientSecret: "my-client-secret",
//			Scopes:       "repo,read:user",
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	in, err := pb.GetIntegration(ctx, "github", client.IncludeWebhook)
//	switch {
//	case client.IsNotFound(err):
//		// deleted in the meantime
//	case err != nil:
//		log.Fatal(err)
//	default:
//		fmt.Println("register this webhook URL with GitHub:", in.WebhookURL)
//	}
//
// Errors from the server are *Error values; use errors.As to read their
// status, code and per-field validation errors:
//
//	var apiErr *client.Error
//	if errors.As(err, &apiErr) && apiErr.Code == "invalid_body" {
//		for _, fe := range apiErr.Errors {
//			fmt.Println(fe) // e.g. "credentials.client_id: Required"
//		}
//	}
//
// Other errors (network failures, cancelled contexts, undecodable
// responses) are wrapped with the method and path of the call and can be
// matched with errors.Is, for example against context.Canceled. No error
// ever contains the secret key.
package client
