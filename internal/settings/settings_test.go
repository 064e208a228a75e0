package settings

import (
	"fmt"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

func TestValidColour(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"#abc": true, "#1A73e8": true, "#abcd": false, "#1a73e8ff": false, "#12345": false,
		"red": false, "#fff;background:url(x)": false, "": false,
	} {
		if got := ValidColour(in); got != want {
			t.Errorf("ValidColour(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLogoAllowed(t *testing.T) {
	t.Parallel()
	own := Origin("http://localhost:3003/base")
	for in, want := range map[string]bool{
		"https://cdn.acme.example/logo.png":   true,
		"http://localhost:3003/logo.svg":      true,
		"http://tracker.example/pixel.gif":    false,
		"javascript:alert(1)":                 false,
		"https://cdn.acme.example/a logo.png": false,
		"/relative.png":                       false,
	} {
		if got := LogoAllowed(in, own); got != want {
			t.Errorf("LogoAllowed(%q, %q) = %v, want %v", in, own, got, want)
		}
	}
	if LogoAllowed("http://localhost:3003/logo.svg", Origin("https://localhost:3003")) {
		t.Error("an http logo is allowed when Patchbay itself is served over https")
	}
}

func TestCheckVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars []store.EnvironmentVariable
		want []string // code@path of each problem
	}{
		{"fine", []store.EnvironmentVariable{{Name: "API_KEY", Value: "x"}, {Name: "_b", Value: ""}}, nil},
		{"bad name", []store.EnvironmentVariable{{Name: "1x", Value: "v"}}, []string{"invalid_string@variables.0.name"}},
		{"duplicate", []store.EnvironmentVariable{{Name: "A", Value: "v"}, {Name: "A", Value: "w"}}, []string{"duplicate@variables.1.name"}},
		{"long value", []store.EnvironmentVariable{{Name: "A", Value: strings.Repeat("x", MaxVariableValue+1)}}, []string{"too_big@variables.0.value"}},
		{"too many", make([]store.EnvironmentVariable, MaxVariables+1), []string{"too_big@variables"}},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range CheckVariables(tc.vars) {
			segs := make([]string, len(p.Path))
			for i, s := range p.Path {
				segs[i] = fmt.Sprint(s)
			}
			got = append(got, p.Code+"@"+strings.Join(segs, "."))
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: problems %v, want %v", tc.name, got, tc.want)
		}
	}
}
