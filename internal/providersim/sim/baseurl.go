package sim

import "net/http"

// RequestBaseURL is where the simulator is reachable, for absolute URLs
// in bodies and headers: BaseURL, or on a server without SetBaseURL the
// scheme and host r was sent to.
func (s *Server) RequestBaseURL(r *http.Request) string {
	if base := s.BaseURL(); base != "" {
		return base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
