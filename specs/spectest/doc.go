// Package spectest parses and runs stream spec scripts: the readable
// description of a stream exchange, from one side, that every binding is
// tested against. specs/README.md documents the format with a worked
// example.
//
// A scenario is a pair of scripts, client.rpt and server.rpt, in a folder
// named after the behaviour. PairAll checks every pair under a folder
// against each other in memory, without the engine. Replay runs scripts
// against a binding in an in-process engine: a script block that connects
// to app://name opens a stream into binding name, one that accepts
// app://name plays the `test` binding name (add the type with Registry),
// and tcp:// blocks use real sockets. A third-party binding author uses it
// from go test exactly as the bindings in this repository do.
package spectest
