package main

import (
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
)

func TestSlug(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"monday.com": "mondaydotcom", "Google Sheets": "googlesheets", "C++": "cplusplus",
		"AT&T": "atandt", "X / Twitter ": "xtwitter", "github-app": "githubapp",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	index := map[string]*icon{}
	for _, s := range []string{"github", "googlesheets", "x", "zoho"} {
		index[s] = &icon{Slug: s}
	}
	for _, tt := range []struct{ name, display, want string }{
		{"github-app-oauth", "GitHub (App OAuth)", "github"},
		{"google-sheet", "Google Sheets", "googlesheets"},
		{"twitter", "X / Twitter (OAuth 1.0a)", "x"},
		{"zoho-crm", "Zoho CRM", "zoho"},
		{"unauthenticated", "Unauthenticated", ""},
	} {
		got := ""
		if ic := find(index, &catalog.Provider{Name: tt.name, DisplayName: tt.display}); ic != nil {
			got = ic.Slug
		}
		if got != tt.want {
			t.Errorf("find(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDrawTile(t *testing.T) {
	t.Parallel()
	svg := []byte(`<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><title>T</title><path d="M0 0h24v24H0z"/></svg>`)
	dark, err := drawTile(&icon{Title: "A<b>", Hex: "181717"}, svg)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(dark); !strings.Contains(s, `<title>A&lt;b&gt;</title>`) || !strings.Contains(s, `rect width="64" height="64" rx="14" fill="#ffffff"`) || !strings.Contains(s, `fill="#181717" d="M0 0h24v24H0z"`) {
		t.Errorf("dark mark: %s", s)
	}
	// Too light for a white tile: the colour becomes the tile.
	light, err := drawTile(&icon{Title: "Y", Hex: "FFE01B"}, svg)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(light); !strings.Contains(s, `fill="#ffe01b"/>`) || !strings.Contains(s, `fill="#111827" d=`) {
		t.Errorf("light mark: %s", s)
	}
	if _, err := drawTile(&icon{Title: "Z", Hex: "000000"}, []byte(`<svg><g/></svg>`)); err == nil {
		t.Error("an icon without a path was drawn")
	}
}
