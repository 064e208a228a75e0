package sim_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	defaults := map[string]string{"default": "a"}
	r := sim.NewRegistry(defaults)
	defaults["later"] = "ignored" // the registry keeps its own copy
	if v, ok := r.Get("default"); !ok || v != "a" {
		t.Fatalf("default = %q, %v", v, ok)
	}
	r.Put("added", "b")
	r.Put("default", "c")
	if v, _ := r.Get("default"); v != "c" {
		t.Errorf("replaced default = %q", v)
	}
	if !r.Remove("added") || r.Remove("added") {
		t.Error("Remove must report whether the entry was there")
	}
	r.Remove("default")
	r.Reset()
	if v, ok := r.Get("default"); !ok || v != "a" {
		t.Errorf("after reset default = %q, %v", v, ok)
	}
	for _, gone := range []string{"added", "later"} {
		if _, ok := r.Get(gone); ok {
			t.Errorf("%s survived the reset", gone)
		}
	}

	empty := sim.NewRegistry[int](nil)
	empty.Put("x", 1)
	empty.Reset()
	if _, ok := empty.Get("x"); ok {
		t.Error("reset kept an entry of a registry without defaults")
	}
}

func TestLazy(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	made := map[string]int{}
	l := sim.NewLazy(func(key string) *string {
		mu.Lock()
		made[key]++
		mu.Unlock()
		v := key + "!"
		return &v
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { l.Get("a") })
	}
	wg.Wait()
	if *l.Get("a") != "a!" || made["a"] != 1 {
		t.Fatalf("value %q made %d times, want once", *l.Get("a"), made["a"])
	}
	first := l.Get("a")
	l.Forget("a")
	if l.Get("a") == first || made["a"] != 2 {
		t.Error("Forget must make the value again on the next Get")
	}
	l.Get("b")
	l.Reset()
	l.Get("a")
	l.Get("b")
	if made["a"] != 3 || made["b"] != 2 {
		t.Errorf("after reset made %v", made)
	}
}

func TestControlRemoved(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	sim.ControlRemoved(w, true, "key")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Errorf("removed: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	sim.ControlRemoved(w, false, "key")
	if w.Code != http.StatusNotFound || w.Body.String() != `{"error":"no such key"}`+"\n" {
		t.Errorf("not there: %d %q", w.Code, w.Body)
	}
}

func TestRequestBaseURL(t *testing.T) {
	t.Parallel()
	s := sim.New(sim.Options{})
	r := httptest.NewRequest(http.MethodGet, "http://sim.test:8080/x", nil)
	if got := s.RequestBaseURL(r); got != "http://sim.test:8080" {
		t.Errorf("without a base URL: %q", got)
	}
	r.TLS = &tls.ConnectionState{}
	if got := s.RequestBaseURL(r); got != "https://sim.test:8080" {
		t.Errorf("over TLS: %q", got)
	}
	s.SetBaseURL("http://127.0.0.1:4010/")
	if got := s.RequestBaseURL(r); got != "http://127.0.0.1:4010" {
		t.Errorf("with a base URL: %q", got)
	}
}
