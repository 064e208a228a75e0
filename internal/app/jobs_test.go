package app

import (
	"testing"

	"github.com/riverqueue/river"

	"github.com/patchbay/patchbay/internal/actions"
	"github.com/patchbay/patchbay/internal/functions"
)

// TestActionJobsAreTimedByTheirRun: the queue must neither cancel an async
// action before its own limit (which an integration may set up to
// MaxActionTimeout) nor rescue it, running it a second time, while a live
// node is still executing it.
func TestActionJobsAreTimedByTheirRun(t *testing.T) {
	t.Parallel()
	job := &river.Job[actionJob]{Args: actionJob{EnvironmentID: "e", RunID: "r"}}
	if d := (&actionWorker{}).Timeout(job); d >= 0 {
		t.Fatalf("worker timeout = %v; want none (negative), the run bounds itself", d)
	}
	if longest := functions.MaxActionTimeout + actions.ExecuteGrace; rescueAfter <= longest {
		t.Fatalf("rescue after %v, but a live run may take %v", rescueAfter, longest)
	}
}
