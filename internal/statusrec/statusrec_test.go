package statusrec

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantCode   int
	}{
		{"nothing written", func(http.ResponseWriter) {}, 0, http.StatusOK},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, http.StatusOK, http.StatusOK},
		{"first header wins", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusTeapot)
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusTeapot, http.StatusTeapot},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			w := &Writer{ResponseWriter: rec}
			tc.handler(w)
			if w.Status != tc.wantStatus || w.Code() != tc.wantCode {
				t.Errorf("Status %d Code %d, want %d %d", w.Status, w.Code(), tc.wantStatus, tc.wantCode)
			}
			if http.NewResponseController(w).Flush() != nil {
				t.Error("Flush does not reach the underlying writer")
			}
		})
	}
}
