package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/internal/providersim"
)

// simulateCommand runs the provider simulator for local development and
// demos: the same fakes the tests use, with a consent page on /authorize.
func simulateCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		addr, webhookURL, providersOut string
		seed                           int64
		noRateLimits, autoApprove      bool
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run simulated providers (GitHub, HubSpot, Google, Slack, Stripe, Jira, Zoom, Ghost, Trello, Workday SOAP) for development and demos",
		Long: "Run the provider simulator: stateful fakes of GitHub, HubSpot, Google (Sheets, Calendar, Gmail)\n" +
			"and Slack with their OAuth servers, APIs, webhooks, rate limits and quirks, and of Stripe (API key),\n" +
			"Jira (basic), Zoom (client credentials), Ghost (JWT), Trello (OAuth 1.0a) and a SOAP service in\n" +
			"Workday's style (WSDL, WS-Security, Get_Workers).\n" +
			"Point Patchbay at it with --providers-out and PATCHBAY_PROVIDERS_FILE.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger := slog.New(slog.NewTextHandler(stderr, nil))
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			opts := providersim.Options{}
			opts.Seed = seed
			opts.Interactive = !autoApprove
			opts.DisableRateLimits = noRateLimits
			opts.WebhookURL = webhookURL
			opts.Logger = logger
			s := providersim.New(opts)
			s.SetBaseURL("http://" + ln.Addr().String())
			if providersOut != "" {
				if err := os.WriteFile(providersOut, []byte(s.CatalogYAML()), 0o644); err != nil {
					ln.Close()
					return fmt.Errorf("write %s: %w", providersOut, err)
				}
				fmt.Fprintf(stdout, "Wrote %s: start Patchbay with PATCHBAY_PROVIDERS_FILE=%s to use the simulator.\n", providersOut, providersOut)
			}
			fmt.Fprintf(stdout, "Simulated providers on %s (control API: %s/_control/…, providers file: %s/_control/providers.yaml)\n",
				s.URL(), s.URL(), s.URL())
			srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return fmt.Errorf("serve: %w", err)
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				return err
			}
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:3010", "listen address")
	f.Int64Var(&seed, "seed", 0, "data seed: the same seed gives the same data")
	f.StringVar(&webhookURL, "webhook-url", "", "where simulated providers send webhooks (e.g. Patchbay's /webhook/… URL)")
	f.StringVar(&providersOut, "providers-out", "", "write a Nango-format providers.yaml pointing at the simulator to this file")
	f.BoolVar(&noRateLimits, "no-rate-limits", false, "switch every simulated rate limit off")
	f.BoolVar(&autoApprove, "auto-approve", false, "approve OAuth consent at once instead of showing a consent page")
	return cmd
}
