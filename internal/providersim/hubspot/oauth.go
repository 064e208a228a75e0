package hubspot

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// tokenResponse writes HubSpot's token JSON. Since 2025 HubSpot also
// returns hub_id and scopes with every token.
func (p *Provider) tokenResponse(w http.ResponseWriter, _ *http.Request, g *sim.Grant) {
	scopes := g.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"token_type":    "bearer",
		"refresh_token": g.RefreshToken,
		"access_token":  g.AccessToken,
		"expires_in":    g.ExpiresIn(p.s.Clock.Now()),
		"hub_id":        portalOf(g.Subject),
		"scopes":        scopes,
	})
}

// tokenError maps the shared OAuth server's RFC 6749 errors onto HubSpot's
// {"status":"BAD_…"} bodies, all of which HubSpot sends with a 400.
func (p *Provider) tokenError(w http.ResponseWriter, r *http.Request, _ int, code, description string) {
	status := "BAD_REQUEST"
	switch code {
	case "invalid_client":
		status = "BAD_CLIENT_ID"
		// The default client is the only one known by id here; a wrong
		// secret for it is reported as such.
		if r.Form.Get("client_id") == sim.DefaultClient(name).ID {
			status = "BAD_CLIENT_SECRET"
		}
	case "invalid_grant":
		switch {
		case r.Form.Get("grant_type") == "refresh_token":
			status = "BAD_REFRESH_TOKEN"
		case strings.Contains(description, "redirect_uri"):
			status = "BAD_REDIRECT_URI"
		default:
			status = "BAD_AUTH_CODE"
		}
	case "unsupported_grant_type":
		status = "BAD_GRANT_TYPE"
	}
	sim.WriteJSON(w, http.StatusBadRequest, map[string]any{
		"status":        status,
		"message":       description,
		"correlationId": uuid.NewString(),
	})
}

// accessTokenInfo serves GET /oauth/v1/access-tokens/{token}, which an
// integration calls after connecting to learn the portal (hub) id.
func (p *Provider) accessTokenInfo(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	g, err := p.s.OAuth.Lookup(name, token)
	if err != nil {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "The access token is unknown, expired or revoked.", nil)
		return
	}
	hub := portalOf(g.Subject)
	scopes := g.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{
		"token":      token,
		"user":       fmt.Sprintf("user@hub-%d.example.com", hub),
		"user_id":    int64(sim.Hash("hubspot-user", g.Subject) % 10000000),
		"hub_domain": fmt.Sprintf("hub-%d.example.com", hub),
		"hub_id":     hub,
		"app_id":     p.opts.AppID,
		"scopes":     scopes,
		"expires_in": g.ExpiresIn(p.s.Clock.Now()),
		"token_type": "access",
	})
}

// deleteRefreshToken serves DELETE /oauth/v1/refresh-tokens/{token},
// HubSpot's way to revoke a connection's refresh token.
func (p *Provider) deleteRefreshToken(w http.ResponseWriter, r *http.Request) {
	if !p.s.OAuth.Revoke(name, r.PathValue("token")) {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "The refresh token is unknown.", nil)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
