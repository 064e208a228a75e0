package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// ui colours output written to a terminal when NO_COLOR is unset.
type ui struct{ color bool }

func newUI(w io.Writer, getenv func(string) string) ui {
	return ui{color: getenv("NO_COLOR") == "" && isTerminal(w)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (u ui) paint(code, s string) string {
	if !u.color || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (u ui) green(s string) string  { return u.paint("32", s) }
func (u ui) red(s string) string    { return u.paint("31", s) }
func (u ui) yellow(s string) string { return u.paint("33", s) }
func (u ui) dim(s string) string    { return u.paint("2", s) }
func (u ui) bold(s string) string   { return u.paint("1", s) }

// level formats a log level to a fixed width, coloured by severity.
func (u ui) level(l string) string {
	s := fmt.Sprintf("%-5s", l)
	switch l {
	case "error":
		return u.red(s)
	case "warn":
		return u.yellow(s)
	case "debug":
		return u.dim(s)
	}
	return s
}

// spinnerFrames turn while a command waits on something slow.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// progress shows msg with a spinner and the time elapsed on w while the
// caller works, and erases it when done is called. It shows nothing unless
// w is a terminal, so logs and pipes never see it.
func progress(w io.Writer, msg string) (done func()) {
	if !isTerminal(w) {
		return func() {}
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "\r%s %s %s\x1b[K", spinnerFrames[i%len(spinnerFrames)], msg, time.Since(start).Round(time.Second))
			select {
			case <-stop:
				fmt.Fprint(w, "\r\x1b[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(stop)
		<-stopped
	}
}
