package integrations

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

func TestSettingsRules(t *testing.T) {
	t.Parallel()
	burst := func(n int) *int { return &n }
	tests := []struct {
		name string
		in   *SettingsInput
		want []string // "path:code" of each problem
		out  store.IntegrationSettings
	}{
		{name: "none"},
		{name: "empty", in: &SettingsInput{}},
		{name: "rate limit", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: 10, Interval: "1s", Burst: burst(4)}},
			out: store.IntegrationSettings{RateLimit: &store.RateLimitOverride{Requests: 10, Interval: time.Second, Burst: 4}}},
		{name: "default burst", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: 5000, Interval: "1h"}},
			out: store.IntegrationSettings{RateLimit: &store.RateLimitOverride{Requests: 5000, Interval: time.Hour}}},
		{name: "zero requests", in: &SettingsInput{RateLimit: &RateLimitInput{Interval: "1s"}},
			want: []string{"settings.rate_limit.requests:invalid"}},
		{name: "bad interval", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: 5, Interval: "soon"}},
			want: []string{"settings.rate_limit.interval:invalid"}},
		{name: "long interval", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: 5, Interval: "25h"}},
			want: []string{"settings.rate_limit.interval:invalid"}},
		{name: "burst zero", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: 5, Interval: "1s", Burst: burst(0)}},
			want: []string{"settings.rate_limit.burst:invalid"}},
		{name: "burst as large as requests", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: 10, Interval: "1s", Burst: burst(10)}},
			want: []string{"settings.rate_limit.burst:invalid"}},
		{name: "everything wrong", in: &SettingsInput{RateLimit: &RateLimitInput{Requests: -1, Interval: "", Burst: burst(-2)}},
			want: []string{"settings.rate_limit.interval:invalid", "settings.rate_limit.burst:invalid", "settings.rate_limit.requests:invalid"}},
		{name: "base urls", in: &SettingsInput{AllowedBaseURLs: []string{"https://eu.api.example.com", "http://127.0.0.1:8080/v2"}},
			out: store.IntegrationSettings{AllowedBaseURLs: []string{"https://eu.api.example.com", "http://127.0.0.1:8080/v2"}}},
		{name: "bad base urls", in: &SettingsInput{AllowedBaseURLs: []string{
			"https://ok.example.com", "ftp://x.example.com", "/relative", "https://user:pw@x.example.com",
			"https://x.example.com/?a=1", "https://x.example.com/#top", "mailto:a@b.c", "https://" + strings.Repeat("a", 2048) + ".com"}},
			want: []string{"settings.allowed_base_urls.1:invalid", "settings.allowed_base_urls.2:invalid", "settings.allowed_base_urls.3:invalid",
				"settings.allowed_base_urls.4:invalid", "settings.allowed_base_urls.5:invalid", "settings.allowed_base_urls.6:invalid",
				"settings.allowed_base_urls.7:invalid"}},
		{name: "too many base urls", in: &SettingsInput{AllowedBaseURLs: make([]string, 21)},
			want: []string{"settings.allowed_base_urls:too_long"}},
		{name: "records retention", in: &SettingsInput{Functions: &FunctionLimitsInput{SyncTimeout: "2h", RecordsRetentionDays: 30}},
			out: store.IntegrationSettings{Functions: &store.FunctionLimits{SyncTimeout: 2 * time.Hour, RecordsRetention: 30 * 24 * time.Hour}}},
		{name: "records retention bounds", in: &SettingsInput{Functions: &FunctionLimitsInput{RecordsRetentionDays: 1}},
			out: store.IntegrationSettings{Functions: &store.FunctionLimits{RecordsRetention: 24 * time.Hour}}},
		{name: "records retention off", in: &SettingsInput{Functions: &FunctionLimitsInput{}},
			out: store.IntegrationSettings{Functions: &store.FunctionLimits{}}},
		{name: "records retention negative", in: &SettingsInput{Functions: &FunctionLimitsInput{RecordsRetentionDays: -1}},
			want: []string{"settings.functions.records_retention_days:invalid"}},
		{name: "records retention too long", in: &SettingsInput{Functions: &FunctionLimitsInput{RecordsRetentionDays: 3651}},
			want: []string{"settings.functions.records_retention_days:invalid"}},
		{name: "action output enforced", in: &SettingsInput{Functions: &FunctionLimitsInput{ActionOutputValidation: "enforce"}},
			out: store.IntegrationSettings{Functions: &store.FunctionLimits{EnforceActionOutput: true}}},
		{name: "action output warned", in: &SettingsInput{Functions: &FunctionLimitsInput{ActionOutputValidation: "warn"}},
			out: store.IntegrationSettings{Functions: &store.FunctionLimits{}}},
		{name: "action output validation unknown", in: &SettingsInput{Functions: &FunctionLimitsInput{ActionOutputValidation: "strict"}},
			want: []string{"settings.functions.action_output_validation:invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v validator
			out := v.settings(tt.in)
			var got []string
			for _, p := range v.problems {
				got = append(got, pathOf(p)+":"+p.Code)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("problems = %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 && !reflect.DeepEqual(out, tt.out) {
				t.Fatalf("settings = %+v, want %+v", out, tt.out)
			}
		})
	}
}

func TestSettingsPathsKeepIndexesAsNumbers(t *testing.T) {
	t.Parallel()
	var v validator
	v.settings(&SettingsInput{AllowedBaseURLs: []string{"https://ok.example.com", "nope"}})
	if len(v.problems) != 1 || !reflect.DeepEqual(v.problems[0].Path, []any{"settings", "allowed_base_urls", 1}) {
		t.Fatalf("problems = %+v", v.problems)
	}
	if err := v.err(); err == nil || !strings.Contains(err.Error(), "settings.allowed_base_urls.1: must be an absolute") {
		t.Fatalf("error = %v", err)
	}
}
