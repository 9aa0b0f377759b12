// Package engine loads zilla.yaml configurations, resolves them into a graph
// of bindings, and carries streams between those bindings.
//
// # Configuration
//
// Load (or Registry.Load) reads a zilla.yaml in stages, each reporting every
// problem it finds with the file, line and YAML path: ${{env.NAME}}
// substitution in the raw text (so numbers and booleans from the
// environment are typed like literals), YAML parsing with one namespace per
// document, validation against one JSON Schema composed from the engine's
// base and each registered type's fragment, strict decoding of options,
// route conditions and `with` blocks into each type's Go structs, and
// reference checks: exits, entries, vaults, guards and catalogs must exist
// and be of a compatible kind, and exits must not form a cycle. New then
// builds every component and binding without opening a port; Start opens
// them, exits first.
//
// # Registry
//
// A binding type is a BindingType: a name, kinds (each saying which stream
// protocol it accepts and which it opens), a JSON Schema fragment, typed
// option/condition/with structs and a constructor. Guards, vaults, catalogs
// and exporters register through the same ComponentType shape. The
// package-level Register functions fill the global registry used by the
// standard binary; NewRegistry and Registry.Clone make isolated ones for
// tests and custom builds.
//
// # Streams
//
// A stream has two directions: initial, from the binding that opened it
// (Exit.Open) toward its exit, and reply, back. Each binding holds one
// endpoint (*Stream). Begin, Data, End, Abort and Flush travel along the
// endpoint's outbound direction; Window, Reset and Challenge travel back
// against its inbound one. Frames carry typed extensions defined in the
// protocol's spec package, passed by pointer.
//
// # Concurrency rules
//
//  1. Every endpoint belongs to one Executor, a serial queue with no
//     goroutine of its own. The engine delivers an endpoint's frames, in the
//     order they were sent, by calling its Receiver on that Executor, never
//     two at a time. A stream opened by Exit.Open shares the opener's
//     Executor unless the accepting binding moves it with SetExecutor inside
//     Accept; so by default a whole pipeline for one connection runs on one
//     Executor and needs no locks.
//  2. Stream methods (Send and the frame helpers, Credit, Closed...) and
//     Exit.Open are called on the endpoint's Executor: inside Receive, or in a
//     task given to Stream.Execute. Goroutines of a binding (socket readers,
//     dialers, Kafka callbacks) never touch a stream directly; they hand work
//     over with Stream.Execute, which runs it at once when the Executor is
//     idle and queues it otherwise, or, for one frame to send, with
//     Stream.SendOnExecutor, which does the same without a function value.
//  3. Receive never blocks: no network or Kafka I/O, no waiting on a channel
//     another stream fills, no lock held across a frame send. A component
//     that holds a lock of its own (a shared cache) must release it before
//     sending frames, or use Stream.Go, which never runs on the caller.
//  4. Flow control bounds memory: an endpoint may send Data only within the
//     credit its peer granted with Window frames (Credit reports it), each
//     frame costing its payload plus the padding the peer stated (Padding,
//     Sendable). Sending beyond it panics, which rule 5 contains. A binding
//     grants what it can hold, so a slow consumer stops its producer
//     instead of filling memory.
//  5. A panic while delivering a frame or running a stream's task fails that
//     stream only: the engine aborts and resets it, terminates the streams
//     opened on its behalf, logs the panic with its stack, and carries on.
//  6. Every stream ends: once both endpoints have seen both directions
//     closed (End, Abort or Reset) the engine forgets it. Engine.Close
//     terminates any stream still open, so bindings release their sockets
//     when they receive the Abort and Reset. LiveStreams counts what is open.
//  7. The payload and extension of a frame pass to the receiver, which may
//     keep them; the sender must not modify them after sending. The *Frame
//     itself is valid only during Receive. A Data frame flagged FlagPooled
//     carries a whole buffer from NewBuffer that only its holder references:
//     forwarding the frame unchanged passes that on, and the last holder may
//     Recycle the buffer; a binding that keeps, splits or duplicates such a
//     payload clears the flag.
//
// Lock order: the engine takes its stream table lock and an Executor's queue
// lock only briefly and never while calling a binding, so bindings may call
// into the engine from anywhere the rules above allow.
package engine
