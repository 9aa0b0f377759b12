package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/sluicehq/sluice/engine"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// A program embeds the engine: load a configuration (here from a string),
// build it, start it, and close it when done. The tcp and echo binding
// types come from the blank imports of this test package.
func ExampleNew() {
	cfg, err := engine.Global().Parse("zilla.yaml", []byte(`
name: embedded
bindings:
  tcp_server:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: echo_server
  echo_server:
    type: echo
    kind: server
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := engine.New(cfg, engine.WithLogger(discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	server, _ := e.Binding("embedded:tcp_server")
	addr := server.(interface{ Addrs() []net.Addr }).Addrs()[0]
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	conn.Write([]byte("embedded"))
	conn.(*net.TCPConn).CloseWrite()
	reply, _ := io.ReadAll(conn)
	fmt.Println(string(reply))
	// Output: embedded
}
