package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// The action benchmark's targets, for a 2-core machine.
const (
	benchActionTargetOverhead = 3 * time.Millisecond // action p50 − provider call p50, concurrency 1
	benchActionTargetRate     = 300                  // actions/s at concurrency 16
	benchActionRateAt         = 16
	benchActionOverheadAt     = 1
)

// benchActionSource is the deployed action: one proxied GET, its answer
// checked and reshaped, as a typical template does.
const benchActionSource = `import { createAction } from 'nango';
import * as z from 'zod';

export default createAction({
  description: 'One proxied GET (benchmark)',
  version: '1.0.0',
  input: z.object({ endpoint: z.string() }),
  output: z.object({ login: z.string(), id: z.number() }),
  exec: async (nango, input) => {
    const res = await nango.get({ endpoint: input.endpoint });
    return { login: res.data.login, id: res.data.id };
  },
});
`

func benchActionCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		invocations int
		concurrency []int
	)
	cmd := &cobra.Command{
		Use:   "action",
		Short: "Invoke a deployed action doing one proxied GET, and measure what Patchbay adds",
		Long: "Start the provider simulator and a Patchbay on a temporary SQLite store in this process, deploy an\n" +
			"action that makes one GET /user through the proxy, then invoke it --invocations times at each\n" +
			"concurrency with POST /action/trigger. The same number of direct GETs to the simulator measure the\n" +
			"provider call; the difference is the time spent outside it (HTTP API, sandbox start, zod, proxy).",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if invocations < 1 || invocations > 10_000_000 {
				return fmt.Errorf("--invocations: must be from 1 to 10000000, got %d", invocations)
			}
			if err := checkBenchFlags(time.Second, concurrency, "/user"); err != nil {
				return err
			}
			return runActionBench(cmd.Context(), stdout, stderr, invocations, concurrency)
		},
	}
	f := cmd.Flags()
	f.IntVar(&invocations, "invocations", 1000, "invocations per run")
	f.IntSliceVar(&concurrency, "concurrency", []int{1, 16}, "comma-separated numbers of concurrent clients")
	return cmd
}

func runActionBench(ctx context.Context, stdout, stderr io.Writer, invocations int, concurrency []int) error {
	w, err := startBenchWorld(ctx, stderr)
	if err != nil {
		return err
	}
	defer w.close()
	client := benchClient(slices.Max(concurrency))
	defer client.CloseIdleConnections()
	if err := w.api(ctx, client, "/functions/deploy", http.StatusOK, map[string]any{
		"files": map[string]string{benchIntegration + "/actions/whoami.ts": benchActionSource},
	}); err != nil {
		return err
	}
	direct := benchTarget{client: client, method: http.MethodGet, url: w.sim.URL() + "/github/user",
		header: http.Header{"Authorization": {"Bearer " + w.token}}}
	action := benchTarget{client: client, method: http.MethodPost, url: w.pb.URL() + "/action/trigger",
		header: http.Header{
			"Authorization":       {"Bearer " + w.secretKey},
			"Content-Type":        {"application/json"},
			"Provider-Config-Key": {benchIntegration},
			"Connection-Id":       {benchConnection},
		},
		body: `{"action_name":"whoami","input":{"endpoint":"/user"}}`}
	for _, c := range []benchTarget{direct, action} {
		if err := c.do(ctx); err != nil {
			return fmt.Errorf("%s %s: %w", c.method, c.url, err)
		}
		runCount(ctx, c, slices.Max(concurrency), min(invocations, 200)) // warm-up
	}
	fmt.Fprintf(stdout, "patchbay bench action: %d invocations per run of an action doing GET /user through the proxy, GOMAXPROCS %d, %d CPUs\n\n",
		invocations, runtime.GOMAXPROCS(0), runtime.NumCPU())
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONCURRENCY\tACTIONS/S\tP50\tP99\tPROVIDER P50\tOUTSIDE PROVIDER P50\tOUTSIDE P99\tERRORS\tTARGET")
	var errs []string
	for _, c := range concurrency {
		d := runCount(ctx, direct, c, invocations)
		a := runCount(ctx, action, c, invocations)
		if err := ctx.Err(); err != nil {
			return err
		}
		outside50 := a.percentile(0.5) - d.percentile(0.5)
		outside99 := a.percentile(0.99) - d.percentile(0.99)
		var target []string
		if c == benchActionOverheadAt {
			target = append(target, fmt.Sprintf("outside p50 ≤ %s %s", benchMs(benchActionTargetOverhead), benchMark(outside50 <= benchActionTargetOverhead)))
		}
		if c == benchActionRateAt {
			target = append(target, fmt.Sprintf("≥ %d/s %s", benchActionTargetRate, benchMark(a.rate() >= benchActionTargetRate)))
		}
		if len(target) == 0 {
			target = []string{"-"}
		}
		fmt.Fprintf(tw, "%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", c, a.rate(), benchMs(a.percentile(0.5)), benchMs(a.percentile(0.99)),
			benchMs(d.percentile(0.5)), benchMs(outside50), benchMs(outside99), a.errors, strings.Join(target, ", "))
		if a.errors > 0 {
			errs = append(errs, fmt.Sprintf("concurrency %d, first error: %s", c, a.firstError))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nTargets are for a 2-core machine: time outside the provider call p50 ≤ %s at concurrency %d (Nango claims < 100ms), ≥ %d actions/s at concurrency %d.\n",
		benchMs(benchActionTargetOverhead), benchActionOverheadAt, benchActionTargetRate, benchActionRateAt)
	for _, e := range errs {
		fmt.Fprintln(stdout, e)
	}
	return nil
}

// runCount makes n calls from concurrency clients and measures each.
func runCount(ctx context.Context, c benchTarget, concurrency, n int) loadRun {
	var next atomic.Int64
	return measureLoad(ctx, concurrency, func() bool { return next.Add(1) <= int64(n) }, c.do)
}
