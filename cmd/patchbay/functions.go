package main

import (
	"embed"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// The developer commands: init, compile, test, dryrun and deploy work on
// a project laid out as Nango's (<integration>/actions|syncs/<name>.ts).
// compile and test run locally with the same compiler and runtime the
// server uses; dryrun and deploy send the project's sources to a server.

//go:embed scaffold
var scaffold embed.FS

// defaultHost is where `patchbay serve` listens by default
// (internal/config's PATCHBAY_ADDR).
const defaultHost = "http://127.0.0.1:3003"

// typesPath is where init puts nango.d.ts; tsconfig.json maps "nango" to it.
const typesPath = ".patchbay/nango.d.ts"

// testConnectionID is the connection a `patchbay test` run pretends to be.
const testConnectionID = "test-connection"

// testTimeout bounds one function's run under `patchbay test`.
const testTimeout = 2 * time.Minute

// addFunctionCommands adds init, compile, test, dryrun and deploy to root.
func addFunctionCommands(root *cobra.Command, stdout, stderr io.Writer, getenv func(string) string) {
	d := &devCLI{stdout: stdout, stderr: stderr, getenv: getenv}
	d.ui = newUI(stdout, getenv)
	root.AddCommand(d.initCommand(), d.compileCommand(), d.testCommand(), d.deployCommand(), d.undeployCommand(), d.dryrunCommand())
}

type devCLI struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	ui             ui
}
