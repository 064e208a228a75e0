package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ProxyRequest is a request to a provider made through Patchbay's proxy,
// as a connection. Patchbay adds the connection's credentials.
type ProxyRequest struct {
	IntegrationKey string // Provider-Config-Key
	ConnectionID   string
	Method         string // default GET
	// Endpoint is the path after the provider's base URL, e.g. "/user".
	Endpoint string
	Query    url.Values
	// Header is forwarded to the provider (sent as Nango-Proxy-<name>).
	Header http.Header
	// Body is streamed to the provider; ContentType describes it.
	Body        io.Reader
	ContentType string
	// Retries allows retrying failed calls (also POSTs); RetryOn adds
	// statuses to retry.
	Retries         int
	RetryOn         []int
	BaseURLOverride string
	Decompress      bool
}

// Proxy sends r through Patchbay and returns the provider's response as
// is, whatever its status (Patchbay's own refusals, such as a missing
// connection, are *Error). The caller must close the body.
func (c *Client) Proxy(ctx context.Context, r ProxyRequest) (*http.Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	target := c.baseURL + "/proxy/" + strings.TrimLeft(r.Endpoint, "/")
	if len(r.Query) > 0 {
		target += "?" + r.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r.Body)
	if err != nil {
		return nil, fmt.Errorf("patchbay: proxy %s %s: %w", method, r.Endpoint, err)
	}
	h := req.Header
	h.Set("User-Agent", userAgent)
	h.Set("Authorization", "Bearer "+c.secretKey)
	h.Set("Provider-Config-Key", r.IntegrationKey)
	h.Set("Connection-Id", r.ConnectionID)
	if r.ContentType != "" {
		h.Set("Content-Type", r.ContentType)
	}
	if r.Retries > 0 {
		h.Set("Retries", strconv.Itoa(r.Retries))
	}
	if len(r.RetryOn) > 0 {
		codes := make([]string, len(r.RetryOn))
		for i, code := range r.RetryOn {
			codes[i] = strconv.Itoa(code)
		}
		h.Set("Retry-On", strings.Join(codes, ","))
	}
	if r.BaseURLOverride != "" {
		h.Set("Base-Url-Override", r.BaseURLOverride)
	}
	if r.Decompress {
		h.Set("Decompress", "true")
	}
	for name, values := range r.Header {
		for _, v := range values {
			h.Add("Nango-Proxy-"+name, v)
		}
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("patchbay: proxy %s %s: %w", method, r.Endpoint, err)
	}
	// Patchbay's own refusals carry its error shape and no provider
	// headers; a provider's errors pass through untouched.
	if resp.Header.Get("X-Patchbay-Error") != "" {
		defer resp.Body.Close()
		data, _, _ := readCapped(resp.Body, c.maxResponseBytes)
		return nil, newError(resp.StatusCode, data, c.secretKey)
	}
	return resp, nil
}

// ProxyJSON sends r (with body, when not nil, encoded as JSON) and decodes
// a 2xx JSON answer into out. A non-2xx answer from the provider is a
// *ProviderError holding its status and body.
func (c *Client) ProxyJSON(ctx context.Context, r ProxyRequest, body, out any) error {
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("patchbay: proxy %s: encoding body: %w", r.Endpoint, err)
		}
		r.Body, r.ContentType = bytes.NewReader(b), "application/json"
	}
	resp, err := c.Proxy(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _, err := readCapped(resp.Body, c.maxResponseBytes)
	if err != nil {
		return fmt.Errorf("patchbay: proxy %s: reading response: %w", r.Endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &ProviderError{Status: resp.StatusCode, Body: data}
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return json.Unmarshal(data, out)
}

// Get is ProxyJSON with GET.
func (c *Client) Get(ctx context.Context, integrationKey, connectionID, endpoint string, out any) error {
	return c.ProxyJSON(ctx, ProxyRequest{IntegrationKey: integrationKey, ConnectionID: connectionID, Method: http.MethodGet, Endpoint: endpoint}, nil, out)
}

// Post is ProxyJSON with POST.
func (c *Client) Post(ctx context.Context, integrationKey, connectionID, endpoint string, body, out any) error {
	return c.ProxyJSON(ctx, ProxyRequest{IntegrationKey: integrationKey, ConnectionID: connectionID, Method: http.MethodPost, Endpoint: endpoint}, body, out)
}

// Put is ProxyJSON with PUT.
func (c *Client) Put(ctx context.Context, integrationKey, connectionID, endpoint string, body, out any) error {
	return c.ProxyJSON(ctx, ProxyRequest{IntegrationKey: integrationKey, ConnectionID: connectionID, Method: http.MethodPut, Endpoint: endpoint}, body, out)
}

// Patch is ProxyJSON with PATCH.
func (c *Client) Patch(ctx context.Context, integrationKey, connectionID, endpoint string, body, out any) error {
	return c.ProxyJSON(ctx, ProxyRequest{IntegrationKey: integrationKey, ConnectionID: connectionID, Method: http.MethodPatch, Endpoint: endpoint}, body, out)
}

// Delete is ProxyJSON with DELETE.
func (c *Client) Delete(ctx context.Context, integrationKey, connectionID, endpoint string, out any) error {
	return c.ProxyJSON(ctx, ProxyRequest{IntegrationKey: integrationKey, ConnectionID: connectionID, Method: http.MethodDelete, Endpoint: endpoint}, nil, out)
}

// ProviderError is a provider's non-2xx answer to a proxied call.
type ProviderError struct {
	Status int
	Body   []byte
}

func (e *ProviderError) Error() string {
	body := string(e.Body)
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return fmt.Sprintf("patchbay: provider answered %d: %s", e.Status, body)
}
