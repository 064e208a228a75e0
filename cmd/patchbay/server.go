package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/patchbay/patchbay/client"
	"github.com/patchbay/patchbay/internal/functions"
)

// env reads variables from the real environment, then from dir/.env.
type env struct {
	getenv func(string) string
	file   map[string]string
}

func (e env) get(key string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return e.file[key]
}

func (d *devCLI) env(dir string) env {
	e := env{getenv: d.getenv, file: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil {
		return e
	}
	vars, err := parseDotenv(string(b))
	if err != nil {
		fmt.Fprintf(d.stderr, "patchbay: %s: %v\n", filepath.Join(dir, ".env"), err)
	}
	e.file = vars
	return e
}

// secretKeyVars are the variables the secret key of environment name is
// read from, first found wins.
func secretKeyVars(name string) []string {
	return []string{"PATCHBAY_SECRET_KEY_" + strings.ToUpper(name), "PATCHBAY_SECRET_KEY"}
}

// client returns a client for the server and environment the project's
// settings name.
func (d *devCLI) client(dir, envName string) (*client.Client, string, error) {
	e := d.env(dir)
	host := strings.TrimRight(e.get("PATCHBAY_HOST"), "/")
	if host == "" {
		host = defaultHost
	}
	vars := secretKeyVars(envName)
	key := ""
	for _, v := range vars {
		if key = e.get(v); key != "" {
			break
		}
	}
	if key == "" {
		return nil, "", fmt.Errorf("no secret key for environment %q: set %s (in the environment or in %s); `patchbay keys` prints a local server's keys",
			envName, strings.Join(vars, " or "), filepath.Join(dir, ".env"))
	}
	return client.New(host, key), host, nil
}

// printCompileError prints a server's compile errors like compile does.
func (d *devCLI) printCompileError(err error) bool {
	var ce *client.CompileError
	if !errors.As(err, &ce) {
		return false
	}
	fmt.Fprintf(d.stdout, "%s the server could not compile the functions: %s\n", d.ui.red("✗"), ce.Message)
	for _, p := range ce.Errors {
		d.printPosition(functions.Position{File: p.File, Line: p.Line, Column: p.Column, Message: p.Message, LineText: p.LineText})
	}
	return true
}
