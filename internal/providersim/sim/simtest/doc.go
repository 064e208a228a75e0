// Package simtest is for tests only: it starts a simulator for one test and
// calls it, so each provider's tests say what they send and check, not how
// a request is built and read. Production code must not import it.
//
// A provider package's tests keep a small setup(t) that starts the server
// with Start and returns their bundle; requests go through Server.Call
// (or Server.NewRequest and Do when the request must be changed before it
// is sent, e.g. signed), and answers come back as a Response read in full.
package simtest
