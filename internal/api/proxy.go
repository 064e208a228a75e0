package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/patchbay/patchbay/internal/proxy"
)

// Proxier sends requests to providers as a connection.
type Proxier interface {
	Do(ctx context.Context, req *proxy.Request) (*http.Response, error)
}

// hopHeaders are connection-level headers that never cross a proxy
// (RFC 9110 §7.6.1), plus the ones net/http manages itself.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true,
}

// forwardedHeaders pass to the provider without the Nango-Proxy- prefix.
var forwardedHeaders = []string{"Content-Type", "Accept", "Accept-Encoding", "If-None-Match", "If-Modified-Since"}

// proxyRequest serves ALL /proxy/{path...}: Nango's proxy, streaming both
// ways.
func (s *Server) proxyRequest(w http.ResponseWriter, r *http.Request) {
	h := r.Header
	var errs []fieldError
	required := func(name string) string {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			errs = append(errs, fieldError{Code: "required", Message: "the " + name + " header is required", Path: []any{name}})
		}
		return v
	}
	req := &proxy.Request{
		EnvironmentID:   environment(r.Context()).ID,
		IntegrationKey:  required("Provider-Config-Key"),
		ConnectionID:    required("Connection-Id"),
		Method:          r.Method,
		Endpoint:        "/" + r.PathValue("path"),
		Header:          http.Header{},
		Body:            r.Body,
		ContentLength:   r.ContentLength,
		BaseURLOverride: strings.TrimSpace(h.Get("Base-Url-Override")),
	}
	if r.URL.RawQuery != "" {
		req.Endpoint += "?" + r.URL.RawQuery
	}
	if r.ContentLength == 0 {
		req.Body = nil
	}
	if v := h.Get("Retries"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 10 {
			errs = append(errs, fieldError{Code: "invalid_number", Message: "Retries must be a whole number from 0 to 10", Path: []any{"Retries"}})
		}
		req.Retries = n
	}
	if v := h.Get("Retry-On"); v != "" {
		for _, item := range strings.Split(v, ",") {
			code, err := strconv.Atoi(strings.TrimSpace(item))
			if err != nil || code < 100 || code > 599 {
				errs = append(errs, fieldError{Code: "invalid_number", Message: "Retry-On must list HTTP status codes, e.g. 429,503", Path: []any{"Retry-On"}})
				break
			}
			req.RetryOn = append(req.RetryOn, code)
		}
	}
	if v := h.Get("Decompress"); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fieldError{Code: "invalid_boolean", Message: "Decompress must be true or false", Path: []any{"Decompress"}})
		}
		req.Decompress = b
	}
	if len(errs) > 0 {
		e := &apiError{status: http.StatusBadRequest, Code: "invalid_headers", Message: "the request headers are invalid", Errors: errs}
		if len(errs) == 1 {
			e.Message = errs[0].Message
		}
		s.writeError(w, r, e)
		return
	}
	for _, name := range forwardedHeaders {
		if v, ok := h[name]; ok {
			req.Header[name] = v
		}
	}
	for name, v := range h {
		if rest, ok := strings.CutPrefix(name, "Nango-Proxy-"); ok && rest != "" {
			req.Header[http.CanonicalHeaderKey(rest)] = v
		}
	}

	resp, err := s.proxy.Do(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer resp.Body.Close()
	w.Header().Del("X-Patchbay-Error")
	out := w.Header()
	for k, vs := range resp.Header {
		if !hopHeaders[k] {
			out[k] = vs
		}
	}
	if resp.ContentLength >= 0 {
		out.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(resp.StatusCode)
	// io.Copy streams in 32 KiB chunks; a slow client slows the provider
	// read instead of buffering the body here. A body of unknown length
	// (chunked, event streams) is flushed as it arrives; a sized one goes
	// out in the fewest writes.
	var dst io.Writer = w
	if resp.ContentLength < 0 {
		dst = flushWriter{w}
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	if _, err := io.CopyBuffer(dst, resp.Body, *buf); err != nil && r.Context().Err() == nil {
		s.logger.DebugContext(r.Context(), "proxy response copy ended early", "err", err)
	}
}

// copyBuffers recycles the 32 KiB buffers responses are copied through:
// neither side of the copy offers ReadFrom/WriteTo, and a fresh buffer per
// call was most of the proxy's garbage.
var copyBuffers = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// markPatchbayErrors sets X-Patchbay-Error on every answer of the proxy
// route; proxyRequest removes it when the provider's answer is relayed, so
// it marks exactly Patchbay's own refusals.
func markPatchbayErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Patchbay-Error", "1")
		next.ServeHTTP(w, r)
	})
}

// flushWriter flushes after each write so streamed responses reach the
// client as they arrive.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		_ = http.NewResponseController(f.w).Flush()
	}
	return n, err
}
