// Package functions compiles and runs user-written functions: Nango-format
// actions (createAction), syncs (createSync, with their onWebhook
// handlers) and event handlers (createOnEvent), written in TypeScript.
//
// # Compile
//
// A project is a set of files in memory, laid out as Nango's
// (<integration>/actions/<name>.ts, syncs/, on-events/; see Discover and
// Ref); nothing is read from disk, so a coding agent can deploy over
// HTTP. Compile bundles one function's entry and the relative files it
// imports with esbuild into one IIFE script, stripping types without
// checking them. The imports "nango" and "zod" (and a few node modules
// templates use) resolve to shims that hand out what the prelude set up,
// so a bundle stays tens of kilobytes. Errors come back as a
// *CompileError listing file, line and column. Describe runs a bundle's
// top level once to read its definition (description, version,
// schemas, endpoints, frequency, …) as a Definition, in a VM that
// describes bundle after bundle while they leave the globals as they
// found them (describe.go), and in a VM of the bundle's own otherwise or
// when that fails, so that errors read the same. BuildAll compiles and
// describes a project's functions a few at a time and hands over the
// results in order; a BuildCache keeps them on disk, found again by the
// contents of the files each function's compile read.
//
// # Runtime
//
// Runtime.Run executes one function in a fresh QuickJS VM
// (modernc.org/quickjs, pure Go): nothing is shared between executions
// but compiled bytecode. The prelude (js/: the host bridge, the globals,
// our zod and the nango object) is compiled once per process without
// source text or debug info, and bundles are compiled once each and kept
// in an LRU cache. A small warm pool (warm.go) evaluates the prelude into
// new VMs ahead of demand, so that work is off the caller's clock; each
// VM still serves exactly one execution.
//
// The sandbox has no file system, network or process: a function reaches
// the world only through the nango object, and through the soap module,
// whose WSDL fetches and requests take the same guarded paths (soap.go).
// Every execution has limits (Limits): a heap limit (an allocation past it
// fails the execution with type "memory") and a time limit that is a hard
// deadline. The engine's interrupt handler stops JavaScript, a watchdog
// keeps poking the engine after the deadline for code that would evade
// the handler, and Run returns at most abandonGrace past the deadline
// even if the engine is stuck in one native operation, abandoning the VM
// (deadline.go explains the three levels). Per-execution bounds on ops in
// flight and log lines keep one function from exhausting the host.
// Limiter caps concurrent executions per connection, per environment and
// overall. A function's failure is a *Failure (action_error,
// script_http_error, invalid_input, invalid_output, script_error, timeout,
// memory); it never takes the server down.
//
// # Host operations
//
// The nango object's methods call into Go through three host functions:
// synchronous ops (log, digests, random values) run on the VM's goroutine;
// asynchronous ones (proxy, paginate, getConnection, getToken, metadata,
// checkpoints, record methods, locks) are checked on the VM's goroutine,
// then run in goroutines of their own and resolve a promise when done
// (ops.go). Each reaches a Host, the one interface between a running
// function and the platform: the server's (package serverhost: proxy,
// store, credentials of the execution's own connection only), a dry run's
// (Capture, which keeps records, checkpoints and metadata changes in
// memory and records every request), and the CLI's test host (package
// fixtures, answering from recorded fixtures).
//
// # Test files
//
// A project's tests/*.test.ts files, written for vitest as Nango's
// templates' are, run as executions of kind KindTest (vitest.go):
// CompileTest bundles one with the functions it imports and a shim of our
// own vitest module (js/vitest.js), which the runtime compiles once and
// evaluates in each test file's fresh VM before the bundle; its TestHost
// opens a Host per Nango mock the file constructs (package fixtures
// serves each from a .test.json), so a test file exercises the same
// fixture engine as `patchbay test` on a .test.json alone.
//
// # Deploy
//
// Deploy validates a project's files (CheckFiles: paths, counts and
// sizes), discovers its functions (or those asked for), builds and
// describes each, and stores them for an environment all or none: compile
// errors of every function are reported together as a *DeployError and
// leave what was live untouched. Deployed.Changed tells which functions
// differ (sources, version or type) from what was live.
package functions
