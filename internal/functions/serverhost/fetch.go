package serverhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/outbound"
)

// client is the http.Client of uncontrolledFetch, one per Deps so its
// connections are pooled: the guard's transport (every address dialled is
// checked, no HTTP proxy from the environment) and its redirect policy
// across hosts, which re-checks the new host and keeps only harmless
// headers (no Authorization or Cookie) as Nango's runner strips them.
// Its pool is apart from the proxy's: these URLs are the function's
// choice, not the catalog's.
func (d *Deps) client() *http.Client {
	d.fetchOnce.Do(func() {
		d.fetchGuard = d.Guard
		if d.fetchGuard == nil {
			d.fetchGuard = outbound.NewGuard(outbound.GuardOptions{})
		}
		d.fetchClient = &http.Client{Transport: d.fetchGuard.Transport(), CheckRedirect: d.fetchGuard.CheckRedirect(true)}
	})
	return d.fetchClient
}

// Fetch sends nango.uncontrolledFetch: a request to a URL of the
// function's choosing, with no credentials added. The URL must pass the
// outbound policy as a customer's URL does (no internal address unless the
// operator allowed its network; DNS answers checked before sending and
// again when dialling).
func (h *Host) Fetch(ctx context.Context, req *functions.FetchRequest) (*functions.HTTPResponse, error) {
	client := h.d.client()
	u, err := h.d.fetchGuard.Preflight(ctx, req.URL, "")
	if err != nil {
		return nil, notAllowed(err)
	}
	var body io.Reader
	if req.Body != nil {
		body = strings.NewReader(*req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, &functions.HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "uncontrolledFetch: " + err.Error()}
	}
	for k, v := range req.Headers {
		hr.Header.Set(k, v)
	}
	resp, err := client.Do(hr)
	if err != nil {
		if ge := new(outbound.GuardError); errors.As(err, &ge) {
			return nil, notAllowed(err)
		}
		return nil, &functions.HostError{Kind: fault.Upstream, Code: "fetch_failed", Message: "uncontrolledFetch: " + err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, &functions.HostError{Kind: fault.Upstream, Code: "fetch_failed", Message: "uncontrolledFetch: read the response: " + err.Error()}
	}
	if len(b) > MaxResponseBytes {
		return nil, &functions.HostError{Code: "response_too_large", Message: fmt.Sprintf("the response is larger than %d MiB", MaxResponseBytes>>20), Kind: fault.Upstream}
	}
	return &functions.HTTPResponse{Status: resp.StatusCode, Headers: flatten(resp.Header), Body: b}, nil
}

// notAllowed is Nango's answer to a URL its policy refuses (code
// url_not_allowed), with the guard's reason.
func notAllowed(err error) error {
	return &functions.HostError{Kind: fault.Forbidden, Code: "url_not_allowed", Message: "uncontrolledFetch: this URL is not allowed: " + err.Error()}
}

var _ functions.WSDLSource = (*Host)(nil)

// WSDL is the soap module's createClientAsync: the service's WSDL,
// fetched through the outbound policy as uncontrolledFetch's requests
// are (no credentials, internal addresses refused) and kept in the
// server's cache.
func (h *Host) WSDL(ctx context.Context, u string) (*functions.WSDL, error) {
	return h.d.wsdls.Get(ctx, u, func(ctx context.Context) ([]byte, error) { return h.fetchWSDL(ctx, u) })
}

func (h *Host) fetchWSDL(ctx context.Context, u string) ([]byte, error) {
	client := h.d.client()
	target, err := h.d.fetchGuard.Preflight(ctx, u, "")
	if err != nil {
		return nil, wsdlNotAllowed(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, &functions.HostError{Kind: fault.Invalid, Code: "invalid_arguments", Message: "soap: the WSDL's URL: " + err.Error()}
	}
	resp, err := client.Do(req)
	if err != nil {
		if ge := new(outbound.GuardError); errors.As(err, &ge) {
			return nil, wsdlNotAllowed(err)
		}
		return nil, &functions.HostError{Kind: fault.Upstream, Code: "wsdl_fetch_failed", Message: "soap: fetch the WSDL: " + err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &functions.HostError{Kind: fault.Upstream, Code: "wsdl_fetch_failed", Message: fmt.Sprintf("soap: fetch the WSDL: the server answered %d", resp.StatusCode)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, functions.MaxWSDLBytes+1))
	if err != nil {
		return nil, &functions.HostError{Kind: fault.Upstream, Code: "wsdl_fetch_failed", Message: "soap: read the WSDL: " + err.Error()}
	}
	if len(b) > functions.MaxWSDLBytes {
		return nil, &functions.HostError{Kind: fault.TooLarge, Code: "wsdl_too_large", Message: fmt.Sprintf("soap: the WSDL is larger than %d MiB", functions.MaxWSDLBytes>>20)}
	}
	return b, nil
}

// wsdlNotAllowed is the refusal of a WSDL URL the outbound policy does
// not allow.
func wsdlNotAllowed(err error) error {
	return &functions.HostError{Kind: fault.Forbidden, Code: "url_not_allowed", Message: "soap: the WSDL's URL is not allowed: " + err.Error()}
}
