package connect

import (
	"context"
	"net/url"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/store"
)

// CredentialsRequest is an end user's credentials for a mode without a
// browser flow (API key, basic, JWT, client credentials), typed under a
// connect session.
type CredentialsRequest struct {
	Session        *store.ConnectSession
	IntegrationKey string
	// Mode is the auth mode of the endpoint the credentials came to.
	Mode string
	// Query carries params[name]=value connection config.
	Query url.Values
	// Decode fills in the credentials from the request body. It is called
	// after the session's checks, so a session that may not use the
	// integration is refused before the body is looked at.
	Decode func(*store.Credentials) error
}

// ConnectCredentials runs the connect session's side of a credentials
// flow (the integration must be allowed; a reconnect session names the
// connection; the session's connection-config defaults apply), then hands
// the credentials to auth, which checks and saves them.
func (f *Flows) ConnectCredentials(ctx context.Context, req CredentialsRequest) (*store.Connection, error) {
	sess, key := req.Session, req.IntegrationKey
	if err := Allowed(sess, key); err != nil {
		return nil, err
	}
	connectionID, err := ConnectionFor(sess, key)
	if err != nil {
		return nil, err
	}
	in := auth.CredentialsInput{EnvironmentID: sess.EnvironmentID, IntegrationKey: key, Mode: req.Mode,
		ConnectionID: connectionID, ConnectSessionID: sess.ID, EndUser: sess.EndUser,
		ConnectionConfig: ConnectionConfig(req.Query, DefaultsFor(sess, key))}
	if err := req.Decode(&in.Credentials); err != nil {
		return nil, err
	}
	return f.auth.Connect(ctx, in)
}
