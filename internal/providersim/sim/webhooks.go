package sim

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"
)

// Delivery is one webhook the simulator sent.
type Delivery struct {
	Provider string      `json:"provider"`
	URL      string      `json:"url"`
	Header   http.Header `json:"header"`
	Body     string      `json:"body"`
	Status   int         `json:"status"` // 0 when the request failed
	Error    string      `json:"error,omitempty"`
	Time     time.Time   `json:"time"`
}

// Webhooks sends providers' webhook deliveries to the configured URL.
type Webhooks struct {
	s      *Server
	client *http.Client

	mu         sync.Mutex
	url        string
	deliveries []Delivery
	wg         sync.WaitGroup
}

func newWebhooks(s *Server, url string) *Webhooks {
	return &Webhooks{s: s, url: url, client: &http.Client{Timeout: 10 * time.Second}}
}

// SetURL changes where deliveries go; "" stops them.
func (h *Webhooks) SetURL(url string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.url = url
}

// URL is where deliveries go.
func (h *Webhooks) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.url
}

// Send posts body with header to the webhook URL in the background, as a
// provider does after the change that caused it. Nothing is sent when no
// URL is set.
func (h *Webhooks) Send(provider string, header http.Header, body []byte) {
	url := h.URL()
	if url == "" {
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		d := Delivery{Provider: provider, URL: url, Header: header, Body: string(body), Time: h.s.Clock.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err == nil {
			req.Header = header.Clone()
			var res *http.Response
			if res, err = h.client.Do(req); err == nil {
				d.Status = res.StatusCode
				res.Body.Close()
			}
		}
		if err != nil {
			d.Error = err.Error()
		}
		h.mu.Lock()
		h.deliveries = append(h.deliveries, d)
		h.mu.Unlock()
	}()
}

// Wait blocks until every delivery sent so far has finished.
func (h *Webhooks) Wait() { h.wg.Wait() }

// Deliveries returns the finished deliveries, oldest first.
func (h *Webhooks) Deliveries() []Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Delivery(nil), h.deliveries...)
}
