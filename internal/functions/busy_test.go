package functions

import (
	"context"
	"testing"
	"time"
)

// TestLimitBusy: with one busy slot, an execution waiting on a host
// operation leaves the slot to another, which runs to its end; the
// first then takes the slot back and finishes too. A second execution
// cannot run while the first computes (holds the slot in a host call).
func TestLimitBusy(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	defer rt.Close()
	rt.LimitBusy(1)
	src := `
import { createAction } from 'nango';
export default createAction({
  exec: async (nango, input) => {
    if (input.log) nango.log('computing');
    const r = await nango.get({ endpoint: input.endpoint });
    return { got: r.data.ok, endpoint: input.endpoint };
  },
});
`
	arrived, answer := make(chan string, 4), make(chan struct{})
	logging, logged := make(chan struct{}), make(chan struct{})
	h := &loggingBlocker{fakeHost: fakeHost{respond: func(req *HTTPRequest) *HTTPResponse {
		arrived <- req.Endpoint
		if req.Endpoint == "/slow" {
			<-answer
		}
		return &HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"ok":true}`)}
	}}, logging: logging, logged: logged}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type result struct {
		out string
		err error
	}
	slow := make(chan result, 1)
	go func() {
		out, err := runAction(t, rt, src, `{"endpoint":"/slow"}`, h, Limits{})
		slow <- result{string(out), err}
	}()
	if got := <-arrived; got != "/slow" {
		t.Fatalf("first request %q", got)
	}
	// The slow one waits on its request: the fast one gets the slot.
	fastCtx, fastCancel := context.WithTimeout(ctx, 30*time.Second)
	defer fastCancel()
	b := compileOne(t, map[string]string{"github/actions/a.ts": src}, "github/actions/a.ts")
	out, err := rt.Run(fastCtx, &Execution{Bundle: b, Kind: KindAction, Input: []byte(`{"endpoint":"/fast"}`), Host: h,
		Info: Info{Name: "a", ConnectionID: "c1", ProviderConfigKey: "github", Provider: "github"}})
	if err != nil || string(out) != `{"got":true,"endpoint":"/fast"}` {
		t.Fatalf("fast: %s, %v (the waiting execution kept its slot?)", out, err)
	}
	<-arrived

	// A third execution computes (stopped in a host call, holding the
	// slot) when the slow one's answer comes: the slow one waits for it.
	third := make(chan result, 1)
	go func() {
		out, err := runAction(t, rt, src, `{"endpoint":"/fast","log":true}`, h, Limits{})
		third <- result{string(out), err}
	}()
	<-logging
	close(answer)
	select {
	case r := <-slow:
		t.Fatalf("the slow execution finished while another held the only slot: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
	close(logged)
	for name, ch := range map[string]chan result{"slow": slow, "third": third} {
		r := <-ch
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
	}
}

// loggingBlocker is fakeHost whose first log line blocks until logged is
// closed, having closed logging.
type loggingBlocker struct {
	fakeHost
	logging, logged chan struct{}
}

func (h *loggingBlocker) Log(level, message string) {
	if message == "computing" {
		close(h.logging)
		<-h.logged
	}
	h.fakeHost.Log(level, message)
}
