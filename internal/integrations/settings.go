package integrations

import (
	"fmt"
	"net/url"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// Bounds on allowed_base_urls: a short list of hosts is what the setting
// is for, not a registry.
const (
	maxAllowedBaseURLs = 20
	maxURLLen          = 2048
)

// settings validates in and returns what to store; nil gives no settings.
func (v *validator) settings(in *SettingsInput) store.IntegrationSettings {
	if in == nil {
		return store.IntegrationSettings{}
	}
	out := store.IntegrationSettings{RateLimit: v.rateLimit(in.RateLimit), Functions: v.functionLimits(in.Functions)}
	if len(in.AllowedBaseURLs) > maxAllowedBaseURLs {
		v.add("too_long", fmt.Sprintf("must list at most %d URLs", maxAllowedBaseURLs), "settings", "allowed_base_urls")
		return out
	}
	for i, raw := range in.AllowedBaseURLs {
		if msg := checkBaseURL(raw); msg != "" {
			v.add("invalid", msg, "settings", "allowed_base_urls", i)
		}
	}
	if len(in.AllowedBaseURLs) > 0 {
		out.AllowedBaseURLs = in.AllowedBaseURLs
	}
	return out
}

// Bounds of per-integration function limits: the same as the node's.
const (
	minFunctionMemoryMiB = 16
	maxFunctionMemoryMiB = 16 << 10
	maxActionTimeout     = functions.MaxActionTimeout
	maxSyncTimeout       = 7 * 24 * time.Hour
	maxConcurrency       = 100_000
	// Ten years: past that, retention is "keep everything", which is
	// leaving the setting out.
	maxRecordsRetentionDays = 3650
)

// functionLimits checks per-integration function limits.
func (v *validator) functionLimits(in *FunctionLimitsInput) *store.FunctionLimits {
	if in == nil {
		return nil
	}
	path := func(field string) []any { return []any{"settings", "functions", field} }
	out := &store.FunctionLimits{Memory: int64(in.MemoryMiB) << 20, ConnectionConcurrency: in.ConnectionConcurrency}
	if in.MemoryMiB != 0 && (in.MemoryMiB < minFunctionMemoryMiB || in.MemoryMiB > maxFunctionMemoryMiB) {
		v.add("invalid", fmt.Sprintf("must be between %d and %d (MiB)", minFunctionMemoryMiB, maxFunctionMemoryMiB), path("memory_mib")...)
	}
	if in.ActionTimeout != "" {
		d, err := time.ParseDuration(in.ActionTimeout)
		if err != nil || d < time.Second || d > maxActionTimeout {
			v.add("invalid", "must be a duration between 1s and 24h, such as 30s", path("action_timeout")...)
		}
		out.ActionTimeout = d
	}
	if in.SyncTimeout != "" {
		d, err := time.ParseDuration(in.SyncTimeout)
		if err != nil || d < time.Second || d > maxSyncTimeout {
			v.add("invalid", "must be a duration between 1s and 168h, such as 24h", path("sync_timeout")...)
		}
		out.SyncTimeout = d
	}
	if in.ConnectionConcurrency < 0 || in.ConnectionConcurrency > maxConcurrency {
		v.add("invalid", fmt.Sprintf("must be between 1 and %d (0 keeps the node's)", maxConcurrency), path("connection_concurrency")...)
	}
	if d := in.RecordsRetentionDays; d < 0 || d > maxRecordsRetentionDays {
		v.add("invalid", fmt.Sprintf("must be between 1 and %d days (0 keeps every record)", maxRecordsRetentionDays), path("records_retention_days")...)
	} else {
		out.RecordsRetention = time.Duration(d) * 24 * time.Hour
	}
	switch in.ActionOutputValidation {
	case "", "warn":
	case "enforce":
		out.EnforceActionOutput = true
	default:
		v.add("invalid", `must be "warn" or "enforce"`, path("action_output_validation")...)
	}
	return out
}

// rateLimit checks a limit with the catalog's rules, so an override is
// held to what a providers file would be.
func (v *validator) rateLimit(in *RateLimitInput) *store.RateLimitOverride {
	if in == nil {
		return nil
	}
	path := func(field string) []any { return []any{"settings", "rate_limit", field} }
	r := catalog.RateLimit{Requests: in.Requests}
	bad := map[string]bool{}
	if iv, err := catalog.ParseInterval(in.Interval); err != nil {
		v.add("invalid", err.Error(), path("interval")...)
		bad["interval"] = true
	} else {
		r.Interval = iv
	}
	if in.Burst != nil {
		if r.Burst = *in.Burst; r.Burst < 1 {
			v.add("invalid", "must be at least 1 (leave it out for the default)", path("burst")...)
			bad["burst"] = true
		}
	}
	for _, p := range r.Check() {
		if !bad[p.Field] {
			v.add("invalid", p.Message, path(p.Field)...)
		}
	}
	return &store.RateLimitOverride{Requests: r.Requests, Interval: r.Interval, Burst: r.Burst}
}

// checkBaseURL says what is wrong with an allowed base URL, or "". Only a
// scheme, host, optional port and path prefix make sense in one: the
// proxy compares request URLs against it.
func checkBaseURL(raw string) string {
	if len(raw) > maxURLLen {
		return fmt.Sprintf("must be at most %d characters", maxURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		return "must be an absolute http(s) URL, e.g. https://eu.api.example.com"
	case u.User != nil:
		return "must not contain credentials"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}
