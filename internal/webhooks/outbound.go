// Package webhooks delivers Patchbay's outbound webhooks to customers'
// backends. A delivery is one signed POST per target, sent in the
// background and logged when it fails; it is not yet durable, retried or
// replayable.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store"
)

// SignatureHeader carries hex HMAC-SHA256(signing key, raw body), as
// Nango's X-Nango-Hmac-Sha256.
const SignatureHeader = "X-Nango-Hmac-Sha256"

// Settings are the environments' webhook targets a Sender reads
// (store.EnvironmentSettings has them).
type Settings interface {
	Webhooks(ctx context.Context, environmentID string) (store.WebhookSettings, error)
}

// Environments are where a Sender finds an environment's signing key
// (store.Environments has them).
type Environments interface {
	List(ctx context.Context) ([]*store.Environment, error)
	Secrets(ctx context.Context, name string) (*store.Environment, error)
}

// Sender posts signed webhooks to an environment's webhook URLs.
type Sender struct {
	settings Settings
	envs     Environments
	guard    *outbound.Guard
	client   *http.Client
	logger   *slog.Logger
	wg       sync.WaitGroup
}

// NewSender returns a Sender whose deliveries go through guard (nil: the
// strict default policy). Webhook URLs are the customer's, so nothing in
// them is trusted: an internal address (loopback, private, link-local,
// metadata), by name or number, is refused unless the operator allowed
// its network (PATCHBAY_PROXY_ALLOWED_NETWORKS), and redirects stay on
// the URL's origin.
func NewSender(settings Settings, envs Environments, guard *outbound.Guard, logger *slog.Logger) *Sender {
	if guard == nil {
		guard = outbound.NewGuard(outbound.GuardOptions{})
	}
	return &Sender{settings: settings, envs: envs, guard: guard, client: guard.Client(10 * time.Second), logger: logger}
}

// Close waits for deliveries in flight.
func (s *Sender) Close() { s.wg.Wait() }

// Sign returns the signature of body under key.
func Sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Encode renders payload as JSON with object keys sorted at every level,
// so a receiver that re-serialises gets the same bytes.
func Encode(payload any) ([]byte, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic) // maps marshal with sorted keys
}

// Send delivers payload to the environment's webhook URLs in the
// background.
func (s *Sender) Send(ctx context.Context, environmentID string, payload any) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := s.deliver(ctx, environmentID, payload); err != nil {
			s.logger.WarnContext(ctx, "webhook delivery failed", "environment_id", environmentID, "err", err)
		}
	}()
}

func (s *Sender) deliver(ctx context.Context, environmentID string, payload any) error {
	settings, err := s.settings.Webhooks(ctx, environmentID)
	if err != nil {
		return fmt.Errorf("webhook settings: %w", err)
	}
	if settings.URL == "" && settings.SecondaryURL == "" {
		return nil
	}
	env, err := s.environment(ctx, environmentID)
	if err != nil {
		return err
	}
	body, err := Encode(payload)
	if err != nil {
		return fmt.Errorf("encode webhook: %w", err)
	}
	sig := Sign(env.WebhookSigningKey, body)
	for _, target := range []string{settings.URL, settings.SecondaryURL} {
		if target == "" {
			continue
		}
		u, err := s.guard.Check(target, "")
		if err != nil {
			s.logger.WarnContext(ctx, "webhook URL refused", "environment_id", environmentID, "err", err)
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("webhook URL: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, sig)
		req.Header.Set("User-Agent", "Patchbay-Webhooks")
		resp, err := s.client.Do(req)
		if err != nil {
			s.logger.WarnContext(ctx, "webhook delivery failed", "environment_id", environmentID, "err", err)
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			s.logger.WarnContext(ctx, "webhook refused", "environment_id", environmentID, "status", resp.StatusCode)
		}
	}
	return nil
}

func (s *Sender) environment(ctx context.Context, id string) (*store.Environment, error) {
	envs, err := s.envs.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		if e.ID == id {
			return s.envs.Secrets(ctx, e.Name)
		}
	}
	return nil, fmt.Errorf("environment %s: %w", id, store.ErrNotFound)
}

// AuthPayload is Nango's "auth" webhook.
type AuthPayload struct {
	Type              string          `json:"type"`
	Operation         string          `json:"operation"`
	ConnectionID      string          `json:"connectionId"`
	AuthMode          string          `json:"authMode"`
	ProviderConfigKey string          `json:"providerConfigKey"`
	Provider          string          `json:"provider"`
	Environment       string          `json:"environment"`
	Success           bool            `json:"success"`
	EndUser           *AuthEndUser    `json:"endUser,omitempty"`
	Error             *AuthErrorField `json:"error,omitempty"`
}

// AuthEndUser names the end user in an auth webhook.
type AuthEndUser struct {
	EndUserID      string `json:"endUserId"`
	OrganizationID string `json:"organizationId,omitempty"`
}

// AuthErrorField says why an auth operation failed.
type AuthErrorField struct {
	Type        string `json:"type"`
	Description string `json:"description"`
}

// AuthEvents turns auth.Events into "auth" webhooks.
type AuthEvents struct{ Sender *Sender }

var _ auth.Events = AuthEvents{}

func (a AuthEvents) payload(ctx context.Context, c *store.Connection, mode, operation string, success bool) *AuthPayload {
	p := &AuthPayload{Type: "auth", Operation: operation, ConnectionID: c.ConnectionID, AuthMode: mode,
		ProviderConfigKey: c.IntegrationKey, Provider: c.Provider, Success: success}
	if env, err := a.Sender.environment(ctx, c.EnvironmentID); err == nil {
		p.Environment = env.Name
	}
	if u := c.EndUser; u != nil && u.ID != "" {
		p.EndUser = &AuthEndUser{EndUserID: u.ID}
		if u.Organization != nil {
			p.EndUser.OrganizationID = u.Organization.ID
		}
	}
	return p
}

func (a AuthEvents) enabled(ctx context.Context, environmentID string) bool {
	ws, err := a.Sender.settings.Webhooks(ctx, environmentID)
	return err == nil && (ws.SendAuthWebhooks == nil || *ws.SendAuthWebhooks) && (ws.URL != "" || ws.SecondaryURL != "")
}

// ConnectionCreated implements auth.Events.
func (a AuthEvents) ConnectionCreated(ctx context.Context, c *store.Connection, mode string, created bool) {
	if !a.enabled(ctx, c.EnvironmentID) {
		return
	}
	op := "creation"
	if !created {
		op = "override"
	}
	a.Sender.Send(ctx, c.EnvironmentID, a.payload(ctx, c, mode, op, true))
}

// RefreshFailed implements auth.Events.
func (a AuthEvents) RefreshFailed(ctx context.Context, c *store.Connection, mode string, cause *auth.Error) {
	if !a.enabled(ctx, c.EnvironmentID) {
		return
	}
	p := a.payload(ctx, c, mode, "refresh", false)
	p.Error = &AuthErrorField{Type: cause.Code, Description: cause.Message}
	a.Sender.Send(ctx, c.EnvironmentID, p)
}

// AsyncActionEvents sends the async_action webhook when a run queued with
// X-Async ends, as Nango does: the customer's backend then fetches the
// result at statusUrl.
type AsyncActionEvents struct{ Sender *Sender }

// AsyncActionPayload is the async_action webhook's body.
type AsyncActionPayload struct {
	Type              string             `json:"type"`
	From              string             `json:"from"`
	ConnectionID      string             `json:"connectionId"`
	ProviderConfigKey string             `json:"providerConfigKey"`
	Payload           AsyncActionOutcome `json:"payload"`
}

// AsyncActionOutcome names the finished run.
type AsyncActionOutcome struct {
	ID        string `json:"id"`
	StatusURL string `json:"statusUrl"`
	Success   bool   `json:"success"`
}

// Done sends the webhook for a finished run.
func (e AsyncActionEvents) Done(ctx context.Context, run *store.ActionRun) {
	e.Sender.Send(ctx, run.EnvironmentID, &AsyncActionPayload{
		Type: "async_action", From: "nango", ConnectionID: run.ConnectionID, ProviderConfigKey: run.IntegrationKey,
		Payload: AsyncActionOutcome{ID: run.ID, StatusURL: "/action/" + run.ID, Success: run.Status == store.ActionSucceeded},
	})
}
