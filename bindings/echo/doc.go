// Package echo implements the echo binding: a server that mirrors every
// frame of each stream it accepts back to the stream's origin.
//
// Kinds: server, accepting streams of any protocol. It takes no options,
// routes or exit.
//
//	bindings:
//	  echo_server:
//	    type: echo
//	    kind: server
//
// Begin (with its extension), Data (flags, payload, extension), Flush, End
// and Abort received on the initial direction are sent on the reply
// direction; Window, Reset and Challenge received about the reply direction
// are sent about the initial one. Mirroring Window keeps flow control exact:
// the echo server grants its origin precisely the credit its origin grants
// it, so it never holds a byte.
package echo
