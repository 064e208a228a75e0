// Package statusrec records the status a handler answers with, for the
// request logs of the API and of the provider simulator.
package statusrec

import "net/http"

// Writer is an http.ResponseWriter that remembers the first status written
// through it.
type Writer struct {
	http.ResponseWriter
	// Status is the first status written; 0 while the handler has written
	// nothing, so a caller can still answer (after a panic, say).
	Status int
}

// WriteHeader records code the first time and passes it on.
func (w *Writer) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 of a body written without a header.
func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Code is the status the client got: net/http answers 200 for a handler
// that wrote nothing.
func (w *Writer) Code() int {
	if w.Status == 0 {
		return http.StatusOK
	}
	return w.Status
}

// Unwrap gives http.ResponseController (Flush, Hijack for dropped
// connections, deadlines) the underlying writer.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
