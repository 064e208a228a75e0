package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/patchbay/patchbay/client"
)

// Every failure is reported in one style: a line saying what failed and
// why, prefixed with the command, then what to do about it when there is
// something to say:
//
//	patchbay deploy: could not reach the Patchbay server at http://127.0.0.1:3003: connect: connection refused
//	  Start one with `patchbay serve`, or point --host (PATCHBAY_HOST) at a running server.

// hintError is an error with what to do about it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint adds what to do to err.
func withHint(err error, format string, args ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// usageError is a command line that was refused: a flag or argument
// missing, unknown or malformed. It exits with status 2 and points at
// --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errorf is fmt.Errorf, named for the CLI's own messages.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// exactArgs refuses a command line without the arguments names lists,
// naming them.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		got := "none"
		if len(args) > 0 {
			got = strings.Join(args, " ")
		}
		return usageError{errorf("want %d arguments, %s; got %s", len(names), strings.Join(names, " and "), got)}
	}
}

// maxArgs refuses more than n arguments, saying what they are.
func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return usageError{errorf("want at most %d argument (%s), got %s", n, what, strings.Join(args, " "))}
	}
}

// report writes err in the CLI's style and returns the exit code.
func report(w io.Writer, cmd *cobra.Command, err error) int {
	path := "patchbay"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	code := 1
	var usage usageError
	if errors.As(err, &usage) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "required flag") {
		code = 2
	}
	fmt.Fprintf(w, "%s: %s\n", path, message(err))
	var h *hintError
	switch {
	case errors.As(err, &h):
		fmt.Fprintf(w, "  %s\n", h.hint)
	case code == 2:
		fmt.Fprintf(w, "  Run `%s --help` for usage.\n", path)
	}
	return code
}

// message is err's text without the "patchbay: " the client package puts
// before its errors (the command's name stands before it already).
func message(err error) string {
	s := err.Error()
	for {
		rest, ok := strings.CutPrefix(s, "patchbay: ")
		if !ok {
			return s
		}
		s = rest
	}
}

// serverError explains a failed call to the server at host, made with
// environment envName's secret key.
func serverError(err error, host, envName string) error {
	var apiErr *client.Error
	var urlErr *url.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode == 401:
		return withHint(errorf("the server at %s refused the secret key of environment %q: %s", host, envName, message(apiErr)),
			"Set %s to the key `patchbay keys --env %s --quiet` prints on the server's machine.", secretKeyVars(envName)[0], envName)
	case errors.As(err, &apiErr) && apiErr.Code == "unknown_integration":
		return withHint(errorf("the server at %s refused the request: %s", host, message(apiErr)),
			"Create the integration first (POST /integrations, or the quickstart in the README), or name the folder after one that exists.")
	case errors.As(err, &apiErr):
		return errorf("the server at %s refused the request: %s", host, message(apiErr))
	case errors.As(err, &urlErr):
		return withHint(errorf("could not reach the Patchbay server at %s: %v", host, unwrapNet(urlErr.Err)),
			"Start one with `patchbay serve`, or point --host (PATCHBAY_HOST) at a running server.")
	}
	return err
}

// unwrapNet shortens "dial tcp 127.0.0.1:3003: connect: connection
// refused" to its last part, the one that says why.
func unwrapNet(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s, "dial ") {
		return s[i+2:]
	}
	return s
}
