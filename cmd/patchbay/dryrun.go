package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/functions"
)

func (d *devCLI) dryrunCommand() *cobra.Command {
	var (
		sf                                       serverFlags
		integration                              string
		input, metadata, checkpoint, lastSyncStr string
		saveResponses, force, allRecords, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "dryrun <function> <connection-id>",
		Short: "Run a function on the server against a connection, storing nothing",
		Long: "Send the project's sources to the server (--host) and run one function against a real\n" +
			"connection: requests reach the provider, but records, checkpoints and metadata changes\n" +
			"are reported instead of stored. JSON flags take the JSON or @file.\n" +
			"--save-responses writes what the run did to <integration>/tests/<name>.test.json.\n" +
			"The secret key is read from " + secretKeyHelp,
		Example: "  patchbay dryrun create-issue my-connection --input '{\"owner\":\"octocat\",\"repo\":\"hello-world\",\"title\":\"Hi\"}'\n" +
			"  patchbay dryrun github/issues my-connection --metadata @metadata.json --save-responses",
		Args: exactArgs("the function (<name>, <integration>/<name>, or actions/<name> and syncs/<name> where an action and a sync share the name)", "the connection id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProject(sf.dir)
			if err != nil {
				return err
			}
			if _, err := p.pick(nil); err != nil {
				return err
			}
			r, err := functions.Find(p.refs, args[0])
			if err != nil {
				return err
			}
			if err := checkDryrunFlags(cmd, r); err != nil {
				return err
			}
			if saveResponses && !force {
				target := filepath.Join(p.dir, filepath.FromSlash(fixturePath(r)))
				if _, err := os.Stat(target); err == nil {
					return withHint(errorf("%s exists, and --save-responses would overwrite it", target), "Add --force to replace it.")
				}
			}
			req := client.DryrunRequest{
				Files: p.uploadFiles(), Function: r.QualifiedName(), Integration: cmpOr(integration, r.Integration),
				ConnectionID: args[1], SaveResponses: saveResponses,
			}
			if req.Input, err = jsonFlag("input", input); err != nil {
				return err
			}
			if req.Metadata, err = objectFlag("metadata", metadata); err != nil {
				return err
			}
			if req.Checkpoint, err = objectFlag("checkpoint", checkpoint); err != nil {
				return err
			}
			if lastSyncStr != "" {
				t, err := time.Parse(time.RFC3339, lastSyncStr)
				if err != nil {
					return fmt.Errorf("--last-sync-date: want an RFC 3339 time such as 2024-01-31T00:00:00Z, got %q", lastSyncStr)
				}
				req.LastSyncDate = t.UTC().Format(time.RFC3339Nano)
			}
			c, host, err := d.client(sf)
			if err != nil {
				return err
			}
			done := progress(d.stderr, fmt.Sprintf("running %s on %s…", r.FullName(), host))
			res, err := c.DryrunFunction(cmd.Context(), req)
			done()
			if err != nil {
				if d.printCompileError(err) {
					return withHint(errors.New("the dry run did not start: the functions do not compile (errors above)"),
						"Fix them; `patchbay compile` checks the project without a server.")
				}
				return serverError(err, host, sf.env)
			}
			// With --json, stdout holds the JSON alone.
			notes := d.stdout
			if asJSON {
				notes = d.stderr
				b, err := json.MarshalIndent(res, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(d.stdout, "%s\n", b)
			} else {
				d.printDryrun(r, req, res, allRecords)
			}
			if res.Error != nil {
				return fmt.Errorf("%s failed: %s", r.FullName(), res.Error.Type)
			}
			if saveResponses {
				return d.saveFixture(notes, p, r, req, res)
			}
			return nil
		},
	}
	sf.register(cmd, "the environment the connection is in (dev, prod, …)")
	f := cmd.Flags()
	f.StringVar(&integration, "integration", "", "the integration key of the connection (default: the function's folder)")
	f.StringVar(&input, "input", "", "an action's input: JSON or @file")
	f.StringVar(&metadata, "metadata", "", "connection metadata for this run: a JSON object or @file")
	f.StringVar(&checkpoint, "checkpoint", "", "a sync's checkpoint at the start: a JSON object or @file")
	f.StringVar(&lastSyncStr, "last-sync-date", "", "a sync's last sync date (RFC 3339)")
	f.BoolVar(&saveResponses, "save-responses", false, "write the run as a test fixture to <integration>/tests/<name>.test.json")
	f.BoolVar(&saveResponses, "save", false, "the same as --save-responses (Nango's name)")
	f.BoolVar(&force, "force", false, "let --save-responses replace an existing fixture")
	f.BoolVar(&allRecords, "records", false, "print every record a sync saved, not the first few of each model")
	f.BoolVar(&asJSON, "json", false, "print the whole result as JSON (output, records, checkpoints, logs, requests), for programs")
	return cmd
}

// dryrunOnly lists the flags that mean something for one kind of
// function only.
var dryrunOnly = map[string]string{"input": "action", "checkpoint": "sync", "last-sync-date": "sync"}

// checkDryrunFlags refuses flags that would do nothing for r.
func checkDryrunFlags(cmd *cobra.Command, r functions.Ref) error {
	for name, typ := range dryrunOnly {
		if cmd.Flags().Changed(name) && r.Type != typ {
			return usageError{errorf("--%s is for %ss; %s is %s", name, typ, r.FullName(), article(r.Type))}
		}
	}
	if cmd.Flags().Changed("force") && !cmd.Flags().Changed("save-responses") && !cmd.Flags().Changed("save") {
		return usageError{errorf("--force only matters with --save-responses")}
	}
	return nil
}

// jsonFlag reads a flag that holds JSON or @file.
func jsonFlag(name, value string) (json.RawMessage, error) {
	if value == "" {
		return nil, nil
	}
	b := []byte(value)
	if file, ok := strings.CutPrefix(value, "@"); ok {
		var err error
		if b, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, fmt.Errorf("--%s: not valid JSON", name)
	}
	return json.RawMessage(b), nil
}

func objectFlag(name, value string) (map[string]any, error) {
	raw, err := jsonFlag(name, value)
	if raw == nil || err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("--%s: want a JSON object", name)
	}
	return m, nil
}

// shownRecords is how many records of each model a dry run prints
// without --records.
const shownRecords = 3

// printDryrun prints a dry run for people: logs, a summary of the records
// per model with the first few of each (all with allRecords),
// checkpoints, metadata changes, and the output or the failure.
func (d *devCLI) printDryrun(r functions.Ref, req client.DryrunRequest, res *client.DryrunResponse, allRecords bool) {
	u := d.ui
	w := d.stdout
	mark := u.green("✓")
	if res.Error != nil {
		mark = u.red("✗")
	}
	fmt.Fprintf(w, "%s %s (%s) on connection %s  %s\n", mark, r.FullName(), r.Type, req.ConnectionID, u.dim(fmt.Sprintf("%.0f ms", res.DurationMs)))

	if len(res.Logs) > 0 {
		fmt.Fprintf(w, "\n%s\n", u.bold("Logs"))
		for _, l := range res.Logs {
			fmt.Fprintf(w, "  %s %s %s\n", u.dim(l.Time.Local().Format("15:04:05.000")), u.level(l.Level), l.Message)
		}
	}

	if len(res.Records) > 0 {
		fmt.Fprintf(w, "\n%s\n", u.bold("Records"))
		type counts struct{ saved, updated, deleted int }
		byModel := map[string]*counts{}
		var models []string
		for _, op := range res.Records {
			c := byModel[op.Model]
			if c == nil {
				c = &counts{}
				byModel[op.Model] = c
				models = append(models, op.Model)
			}
			switch op.Op {
			case functions.RecordsSave:
				c.saved += len(op.Records)
			case functions.RecordsUpdate:
				c.updated += len(op.Records)
			case functions.RecordsDelete:
				c.deleted += len(op.Records)
			}
		}
		for _, m := range models {
			c := byModel[m]
			fmt.Fprintf(w, "  %s: %d saved, %d updated, %d deleted\n", u.bold(m), c.saved, c.updated, c.deleted)
		}
		shown := map[string]int{}  // records printed, by model
		hidden := map[string]int{} // records left out, by model
		for _, op := range res.Records {
			if len(op.Records) == 0 {
				fmt.Fprintf(w, "  %s %s\n", u.dim(op.Op), op.Model)
				continue
			}
			recs := op.Records
			if !allRecords {
				n := min(len(recs), max(0, shownRecords-shown[op.Model]))
				hidden[op.Model] += len(recs) - n
				recs = recs[:n]
			}
			if len(recs) == 0 {
				continue
			}
			shown[op.Model] += len(recs)
			fmt.Fprintf(w, "  %s %s (%d)\n", u.dim(op.Op), op.Model, len(op.Records))
			for _, rec := range recs {
				fmt.Fprintln(w, indent(pretty(rec), "    "))
			}
		}
		for _, m := range models {
			if hidden[m] > 0 {
				fmt.Fprintf(w, "  %s\n", u.dim(fmt.Sprintf("… %d more %s records (--records prints them all, --json as JSON)", hidden[m], m)))
			}
		}
	}

	if len(res.Checkpoints) > 0 {
		fmt.Fprintf(w, "\n%s\n", u.bold("Checkpoints"))
		for _, cp := range res.Checkpoints {
			b, _ := json.Marshal(cp)
			fmt.Fprintf(w, "  %s\n", b)
		}
	}
	if res.Metadata != nil {
		b, _ := json.Marshal(res.Metadata)
		fmt.Fprintf(w, "\n%s (not saved by a dry run)\n  %s\n", u.bold("Metadata"), b)
	}

	if res.Error != nil {
		fmt.Fprintf(w, "\n%s %s: %s\n", u.red("Error"), res.Error.Type, res.Error.Message)
		// The server ran the bundle these sources compile to, so a stack's
		// positions are told in them.
		if stack, ok := stackLines(res.Error.Payload, func() *functions.SourceMap { return bundleMap(req.Files, r) }); ok {
			fmt.Fprintln(w, indent(strings.Join(stack, "\n"), "  "))
		} else if len(res.Error.Payload) > 0 && string(res.Error.Payload) != "{}" {
			fmt.Fprintln(w, indent(pretty(res.Error.Payload), "  "))
		}
	} else if r.Type == "action" || (len(res.Output) > 0 && string(res.Output) != "null") {
		fmt.Fprintf(w, "\n%s\n%s\n", u.bold("Output"), indent(pretty(res.Output), "  "))
	}
}

func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
