// Package casing is an example of a binding written outside the sluice
// repository's standard set: a `casing` proxy that changes the letter case
// of the bytes flowing toward its exit, and passes the reply back untouched.
//
//	bindings:
//	  upper:
//	    type: casing
//	    kind: proxy
//	    options:
//	      to: upper        # upper (default) or lower
//	    exit: echo_server
//
// Kinds: proxy, accepting "tcp" streams (octets) and opening "tcp" streams to
// its exit. It keeps no buffer: a Data frame is rewritten and forwarded at
// once, and Window frames are passed through in both directions, so the exit's
// flow control reaches the origin unchanged.
//
// It is registered through the public API only (engine.RegisterBinding), has
// its own JSON Schema fragment and spec scenarios, and is built into a custom
// binary by cmd/sluice-casing.
package casing
