package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/wire"
)

// The operator commands: sync (trigger, status, pause, start) and records
// (list) are thin commands over the client, for a server's syncs and the
// records they cached.

// syncPollInterval is how often `sync trigger --wait` asks for the runs'
// status.
const syncPollInterval = 500 * time.Millisecond

// addSyncCommands adds sync and records to root.
func addSyncCommands(root *cobra.Command, stdout, stderr io.Writer, getenv func(string) string) {
	d := &devCLI{stdout: stdout, stderr: stderr, getenv: getenv, ui: newUI(stdout, getenv)}
	root.AddCommand(d.syncCommand(), d.recordsCommand())
}

// syncTarget are the flags that say which server, integration and
// connection a sync or records command talks about.
type syncTarget struct {
	server      serverFlags
	integration string
	connection  string
}

func (t *syncTarget) register(cmd *cobra.Command, connectionUsage string) {
	t.server.register(cmd, "the environment the integration is in (dev, prod, …)")
	f := cmd.Flags()
	f.StringVar(&t.integration, "integration", "", "the integration's unique key (Nango's provider_config_key)")
	f.StringVar(&t.connection, "connection", "", connectionUsage)
	_ = cmd.MarkFlagRequired("integration")
}

// where says which connections a command acted on, for its output.
func (t *syncTarget) where() string {
	if t.connection == "" {
		return "every connection of " + t.integration
	}
	return "connection " + t.connection
}

func (d *devCLI) syncCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Trigger, pause, start and inspect syncs on a Patchbay server",
		Long: "Control the syncs deployed to a server (--host) for an integration: on one connection\n" +
			"(--connection) or on all of the integration's connections. Syncs are named by their\n" +
			"name, or <name>:<variant> for a variant. The secret key is read from\n" + secretKeyHelp,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(d.syncTriggerCommand(), d.syncStatusCommand(), d.syncSwitchCommand(false), d.syncSwitchCommand(true))
	return cmd
}

// syncRefs reads sync arguments: <name> or <name>:<variant>.
func syncRefs(args []string) ([]client.SyncRef, error) {
	refs := make([]client.SyncRef, 0, len(args))
	for _, a := range args {
		name, variant, hasVariant := strings.Cut(a, ":")
		if name == "" || (hasVariant && variant == "") {
			return nil, usageError{errorf("%q is not a sync: want <name> or <name>:<variant>", a)}
		}
		refs = append(refs, client.SyncRef{Name: name, Variant: variant})
	}
	return refs, nil
}

// subcommandArgs refuses an argument to a group of commands: it names
// none of them (cobra looks arguments up as subcommands at the root only).
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return usageError{errorf("unknown command %q; want one of %s", args[0], strings.Join(names, ", "))}
}

// minArgs refuses fewer than n arguments, saying what they are.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return usageError{errorf("want at least %d argument (%s), got none", n, what)}
	}
}

func (d *devCLI) syncTriggerCommand() *cobra.Command {
	var t syncTarget
	var reset, emptyCache, wait bool
	cmd := &cobra.Command{
		Use:   "trigger [<sync>[:<variant>]...]",
		Short: "Run syncs now",
		Long: "Run the named syncs now, or every sync of the integration when none is named, on\n" +
			"--connection or on all of the integration's connections. A sync that is running runs\n" +
			"again right after; a paused one runs once and stays paused.\n" +
			"--reset forgets the checkpoint and last sync date, so the run fetches everything again;\n" +
			"--empty-cache deletes the cached records first. --wait follows the runs until they end,\n" +
			"with a progress line on stderr, then prints each run's result; it exits with status 1\n" +
			"if a run failed. The secret key is read from\n" + secretKeyHelp,
		Example: "  patchbay sync trigger --integration github --connection my-connection issues --wait\n" +
			"  patchbay sync trigger --integration github issues:v2 --reset --empty-cache",
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := syncRefs(args)
			if err != nil {
				return err
			}
			c, host, err := d.client(t.server)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			sel := client.SyncSelection{IntegrationKey: t.integration, ConnectionID: t.connection, Syncs: refs}
			var before []client.SyncStatus
			if wait {
				// The record counts before the runs, to show what they add.
				if before, err = c.SyncStatus(ctx, sel); err != nil {
					return serverError(err, host, t.server.env)
				}
			}
			if err := c.TriggerSync(ctx, sel, client.TriggerSyncOptions{Reset: reset, EmptyCache: emptyCache}); err != nil {
				return serverError(err, host, t.server.env)
			}
			if !wait {
				fmt.Fprintf(d.stdout, "%s triggered %s on %s\n", d.ui.green("✓"), syncList(refs), t.where())
				return nil
			}
			return d.waitSyncs(ctx, c, sel, before, host, t.server.env)
		},
	}
	t.register(cmd, "the connection whose syncs to run (default: every connection of the integration)")
	f := cmd.Flags()
	f.BoolVar(&reset, "reset", false, "forget the checkpoint and last sync date: fetch everything again")
	f.BoolVar(&emptyCache, "empty-cache", false, "delete the cached records before the run")
	f.BoolVar(&wait, "wait", false, "follow the runs until they end, and exit with status 1 if one failed")
	return cmd
}

// syncList names the syncs a command acted on.
func syncList(refs []client.SyncRef) string {
	if len(refs) == 0 {
		return "every sync"
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = syncName(r.Name, r.Variant)
	}
	return strings.Join(names, ", ")
}

// syncName is a sync as the command line names it: the base variant is
// the sync's name alone.
func syncName(name, variant string) string {
	if variant == "" || variant == "base" {
		return name
	}
	return name + ":" + variant
}

// waitSyncs polls the selected instances until none is running, showing
// their progress on stderr, then prints each one's result on stdout.
func (d *devCLI) waitSyncs(ctx context.Context, c *client.Client, sel client.SyncSelection, before []client.SyncStatus, host, env string) error {
	start := time.Now()
	counts := map[string]int64{} // records per model before the runs
	for _, st := range before {
		for m, n := range st.RecordCount {
			counts[m] += n
		}
	}
	line := newStatusLine(d.stderr)
	var list []client.SyncStatus
	for {
		var err error
		if list, err = c.SyncStatus(ctx, sel); err != nil {
			line.done()
			return serverError(err, host, env)
		}
		running := 0
		for _, st := range list {
			if st.Status == "RUNNING" {
				running++
			}
		}
		if running == 0 {
			break
		}
		line.show(syncProgress(list, running, counts), time.Since(start))
		select {
		case <-ctx.Done():
			line.done()
			return ctx.Err()
		case <-time.After(syncPollInterval):
		}
	}
	line.done()

	u := d.ui
	var failed []string
	for _, st := range list {
		mark, state := u.green("✓"), st.Status
		if st.Status == "ERROR" {
			mark, state = u.red("✗"), u.red(st.Status)
			failed = append(failed, syncName(st.Name, st.Variant)+" on "+st.ConnectionID)
		}
		fmt.Fprintf(d.stdout, "%s %s on %s: %s  %s\n", mark, syncName(st.Name, st.Variant), st.ConnectionID, state, runResult(st.LatestResult, st.InvalidRecords))
		if st.Status == "ERROR" {
			fmt.Fprintf(d.stdout, "  %s\n", syncError(st.Error))
		}
	}
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return errorf("the run of %s failed", failed[0])
	}
	return errorf("%d runs failed: %s", len(failed), strings.Join(failed, "; "))
}

// syncProgress is the progress line of running syncs: how many are
// running, and the records per model with the change since the start.
// The server reports a run's added and updated counts only once it ends,
// so the live record counts are what shows progress.
func syncProgress(list []client.SyncStatus, running int, before map[string]int64) string {
	now := map[string]int64{}
	for _, st := range list {
		for m, n := range st.RecordCount {
			now[m] += n
		}
	}
	parts := make([]string, 0, len(now))
	for _, m := range slices.Sorted(maps.Keys(now)) {
		parts = append(parts, fmt.Sprintf("%s %d records (%+d)", m, now[m], now[m]-before[m]))
	}
	what := fmt.Sprintf("%d of %d syncs running", running, len(list))
	if len(list) == 1 {
		what = fmt.Sprintf("%s on %s running", syncName(list[0].Name, list[0].Variant), list[0].ConnectionID)
	}
	if len(parts) == 0 {
		return what
	}
	return what + " · " + strings.Join(parts, ", ")
}

// runResult formats a finished run's changes per model, and the records
// it skipped as invalid.
func runResult(result map[string]wire.RecordCounts, invalid map[string]int) string {
	models := map[string]bool{}
	for m := range result {
		models[m] = true
	}
	for m, n := range invalid {
		if n > 0 {
			models[m] = true // a model whose every record was skipped too
		}
	}
	if len(models) == 0 {
		return "no records changed"
	}
	parts := make([]string, 0, len(models))
	for _, m := range slices.Sorted(maps.Keys(models)) {
		var part string
		if r, ok := result[m]; ok {
			part = fmt.Sprintf("%s: %d added, %d updated, %d deleted", m, r.Added, r.Updated, r.Deleted)
			if invalid[m] > 0 {
				part += fmt.Sprintf(", %d invalid skipped", invalid[m])
			}
		} else {
			part = fmt.Sprintf("%s: %d invalid skipped", m, invalid[m])
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// syncError formats a failed run's error ({type, message, payload}).
func syncError(raw json.RawMessage) string {
	var e struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil || (e.Type == "" && e.Message == "") {
		if len(raw) == 0 {
			return "error: (none reported)"
		}
		return "error: " + string(raw)
	}
	return "error: " + strings.TrimPrefix(e.Type+": "+e.Message, ": ")
}

// statusLine shows a progress line on w: rewritten in place on a
// terminal, else written as a new line each time it changes, so logs and
// pipes get one line per change rather than a line per poll.
type statusLine struct {
	w        io.Writer
	terminal bool
	last     string
}

func newStatusLine(w io.Writer) *statusLine {
	return &statusLine{w: w, terminal: isTerminal(w)}
}

func (l *statusLine) show(text string, elapsed time.Duration) {
	if l.terminal {
		fmt.Fprintf(l.w, "\r%s %s\x1b[K", text, elapsed.Round(time.Second))
		l.last = text
		return
	}
	if text != l.last {
		fmt.Fprintln(l.w, text)
		l.last = text
	}
}

// done erases the line on a terminal.
func (l *statusLine) done() {
	if l.terminal && l.last != "" {
		fmt.Fprint(l.w, "\r\x1b[K")
	}
	l.last = ""
}

func (d *devCLI) syncStatusCommand() *cobra.Command {
	var t syncTarget
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [<sync>[:<variant>]...]",
		Short: "Show syncs' status, schedule and records",
		Long: "Show each instance of the named syncs (every sync of the integration when none is\n" +
			"named) on --connection or on all of the integration's connections: its status, the last\n" +
			"run's type and time, the next scheduled run, the frequency and the cached records per\n" +
			"model, then the error of each failed one. --json prints the server's answer instead.\n" +
			"The secret key is read from\n" + secretKeyHelp,
		Example: "  patchbay sync status --integration github --connection my-connection\n" +
			"  patchbay sync status --integration github issues --json",
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := syncRefs(args)
			if err != nil {
				return err
			}
			c, host, err := d.client(t.server)
			if err != nil {
				return err
			}
			list, err := c.SyncStatus(cmd.Context(), client.SyncSelection{IntegrationKey: t.integration, ConnectionID: t.connection, Syncs: refs})
			if err != nil {
				return serverError(err, host, t.server.env)
			}
			if asJSON {
				b, err := json.MarshalIndent(wire.SyncStatuses{Syncs: list}, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(d.stdout, "%s\n", b)
				return nil
			}
			if len(list) == 0 {
				fmt.Fprintf(d.stderr, "No syncs of %s on %s.\n", t.integration, t.where())
				return nil
			}
			d.printSyncStatus(list)
			return nil
		},
	}
	t.register(cmd, "the connection whose syncs to show (default: every connection of the integration)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON, for programs")
	return cmd
}

// printSyncStatus prints instances as a table, then their errors.
func (d *devCLI) printSyncStatus(list []client.SyncStatus) {
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	}
	tw := tabwriter.NewWriter(d.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SYNC\tCONNECTION\tSTATUS\tTYPE\tLAST RUN\tNEXT RUN\tFREQUENCY\tRECORDS")
	for _, st := range list {
		records := make([]string, 0, len(st.RecordCount))
		for _, m := range slices.Sorted(maps.Keys(st.RecordCount)) {
			r := fmt.Sprintf("%s %d", m, st.RecordCount[m])
			if n := st.InvalidRecords[m]; n > 0 {
				// The last run's, as latestResult: what it left out.
				r += fmt.Sprintf(" (%d invalid skipped)", n)
			}
			records = append(records, r)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", syncName(st.Name, st.Variant), st.ConnectionID, st.Status, st.Type,
			when(st.FinishedAt), when(st.NextScheduledSyncAt), cmpOr(st.Frequency, "-"), cmpOr(strings.Join(records, ", "), "-"))
	}
	_ = tw.Flush()
	for _, st := range list {
		if st.Status == "ERROR" {
			fmt.Fprintf(d.stdout, "\n%s %s on %s: %s\n", d.ui.red("✗"), syncName(st.Name, st.Variant), st.ConnectionID, syncError(st.Error))
		}
	}
}

// syncSwitchCommand is pause (start false) or start.
func (d *devCLI) syncSwitchCommand(start bool) *cobra.Command {
	var t syncTarget
	verb, done, short, long := "pause", "paused",
		"Stop syncs' schedules",
		"Stop the named syncs' schedules on --connection or on all of the integration's\n"+
			"connections; a run going on ends normally. `patchbay sync start` resumes them."
	if start {
		verb, done, short, long = "start", "started",
			"Resume syncs' schedules",
			"Resume the named syncs' schedules on --connection or on all of the integration's\n"+
				"connections (or start those deployed with autoStart false); a sync that never ran, or\n"+
				"whose next run is overdue, runs at once."
	}
	cmd := &cobra.Command{
		Use:     verb + " <sync>[:<variant>]...",
		Short:   short,
		Long:    long + "\nThe secret key is read from\n" + secretKeyHelp,
		Example: "  patchbay sync " + verb + " --integration github --connection my-connection issues",
		Args:    minArgs(1, "the syncs to "+verb),
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := syncRefs(args)
			if err != nil {
				return err
			}
			c, host, err := d.client(t.server)
			if err != nil {
				return err
			}
			sel := client.SyncSelection{IntegrationKey: t.integration, ConnectionID: t.connection, Syncs: refs}
			if start {
				err = c.StartSyncs(cmd.Context(), sel)
			} else {
				err = c.PauseSyncs(cmd.Context(), sel)
			}
			if err != nil {
				return serverError(err, host, t.server.env)
			}
			fmt.Fprintf(d.stdout, "%s %s %s on %s\n", d.ui.green("✓"), done, syncList(refs), t.where())
			return nil
		},
	}
	t.register(cmd, "the connection whose syncs to "+verb+" (default: every connection of the integration)")
	return cmd
}

func (d *devCLI) recordsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "records",
		Short: "Read the records syncs cached on a Patchbay server",
		Args:  subcommandArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(d.recordsListCommand())
	return cmd
}

func (d *devCLI) recordsListCommand() *cobra.Command {
	var (
		t             syncTarget
		opts          client.ListRecordsOptions
		modifiedAfter string
		all           bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Print a model's cached records as JSON lines",
		Long: "Print the records of a model that syncs cached for a connection, one JSON object a line\n" +
			"with its _nango_metadata, in the order of their last change: one page of --limit, or\n" +
			"every page with --all. Without --all, the cursor of the next page is printed on stderr.\n" +
			"The secret key is read from\n" + secretKeyHelp,
		Example: "  patchbay records list --integration github --connection my-connection --model GithubIssue --all\n" +
			"  patchbay records list --integration github --connection my-connection --model GithubIssue --filter deleted --modified-after 2024-01-31",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modifiedAfter != "" {
				at, err := parseDate(modifiedAfter)
				if err != nil {
					return usageError{errorf("--modified-after: want an RFC 3339 time such as 2024-01-31T00:00:00Z or a date such as 2024-01-31, got %q", modifiedAfter)}
				}
				opts.ModifiedAfter = at
			}
			c, host, err := d.client(t.server)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var line bytes.Buffer
			emit := func(rec client.Record) error {
				line.Reset()
				if err := json.Compact(&line, rec.JSON); err != nil {
					return fmt.Errorf("record %s: %w", rec.ID, err)
				}
				line.WriteByte('\n')
				_, err := d.stdout.Write(line.Bytes())
				return err
			}
			if all {
				for rec, err := range c.Records(ctx, t.integration, t.connection, opts) {
					if err != nil {
						return serverError(err, host, t.server.env)
					}
					if err := emit(rec); err != nil {
						return err
					}
				}
				return nil
			}
			page, err := c.ListRecords(ctx, t.integration, t.connection, opts)
			if err != nil {
				return serverError(err, host, t.server.env)
			}
			for _, rec := range page.Records {
				if err := emit(rec); err != nil {
					return err
				}
			}
			if page.NextCursor != "" {
				fmt.Fprintf(d.stderr, "More records follow: add --cursor %s for the next page, or --all for every page.\n", page.NextCursor)
			}
			return nil
		},
	}
	t.register(cmd, "the connection whose records to read")
	_ = cmd.MarkFlagRequired("connection")
	f := cmd.Flags()
	f.StringVar(&opts.Model, "model", "", "the model's name, as the sync declares it")
	_ = cmd.MarkFlagRequired("model")
	f.StringVar(&opts.Variant, "variant", "", "the sync variant whose records to read (default: the base variant)")
	f.IntVar(&opts.Limit, "limit", 0, "records a page, 1 to 10000 (default: the server's, 100)")
	f.StringVar(&opts.Cursor, "cursor", "", "start after this cursor (a record's _nango_metadata.cursor, or the next page's)")
	f.StringVar(&modifiedAfter, "modified-after", "", "only records changed after this time (RFC 3339, or a date)")
	f.StringVar(&opts.Filter, "filter", "", "only records whose last change is one of added, updated, deleted (comma-separated)")
	f.StringSliceVar(&opts.IDs, "id", nil, "only the record with this id (repeatable)")
	f.BoolVar(&all, "all", false, "read every page, not one")
	return cmd
}

// parseDate reads an RFC 3339 time or a date (midnight UTC).
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}
