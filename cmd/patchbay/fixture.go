package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/fixtures"
)

func fixturePath(r functions.Ref) string {
	return r.Integration + "/tests/" + r.Name + ".test.json"
}

// saveFixture writes a dry run as <integration>/tests/<name>.test.json.
func (d *devCLI) saveFixture(out io.Writer, p *project, r functions.Ref, req client.DryrunRequest, res *client.DryrunResponse) error {
	calls := res.Calls // the client's and the server's are one type (package wire)
	records := make([]*functions.RecordOp, len(res.Records))
	for i, op := range res.Records {
		records[i] = &functions.RecordOp{Op: op.Op, Model: op.Model, Records: op.Records}
	}
	var output json.RawMessage
	if r.Type == "action" {
		output = res.Output
		if len(output) == 0 {
			output = json.RawMessage("null")
		}
	}
	b, err := fixtures.FromCalls(req.Input, output, calls, records, fixtures.Extra{Metadata: req.Metadata, Checkpoint: req.Checkpoint})
	if err != nil {
		return err
	}
	target := filepath.Join(p.dir, filepath.FromSlash(fixturePath(r)))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(target, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWrote %s (%d requests): run it with `patchbay test %s`\n", target, len(calls), p.label(r))
	return nil
}
