// Package httpproxy_test runs the http.proxy example: curl talks to the
// proxy over HTTP/1.1 and HTTP/2, the proxy talks to an HTTPS origin
// started by the test (HTTP/2 or HTTP/1.1 by ALPN), with keys made by
// pki.sh.
package httpproxy_test

import (
	"crypto/tls"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	_ "github.com/sluicehq/sluice/bindings/tls"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	_ "github.com/sluicehq/sluice/vaults/filesystem"
)

// origin answers with what it saw: protocol, method, host and body.
func origin(w nethttp.ResponseWriter, r *nethttp.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Origin-Proto", r.Proto)
	w.Header().Set("X-Origin-Host", r.Host)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+string(body))
}

// example makes the PKI, starts an HTTPS origin offering protos by ALPN
// and the example's zilla.yaml, and returns the proxy's address.
func example(t *testing.T, protos ...string) string {
	t.Helper()
	testtool.Require(t, "openssl")
	bash := testtool.Require(t, "bash")
	dir := t.TempDir()
	script, _ := filepath.Abs("pki.sh")
	if out, err := exec.Command(bash, script, filepath.Join(dir, "tls")).CombinedOutput(); err != nil {
		t.Fatalf("pki.sh: %v\n%s", err, out)
	}
	pemFile := filepath.Join(dir, "tls", "localhost.pem")
	cert, err := tls.LoadX509KeyPair(pemFile, pemFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(origin))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	yaml, err := os.ReadFile("zilla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(yaml), "host: 0.0.0.0", "host: 127.0.0.1")
	e := enginetest.Start(t, text, enginetest.Options{
		File:             filepath.Join(dir, "zilla.yaml"),
		Env:              map[string]string{"HTTP_PORT": "0", "ORIGIN_HOST": host, "ORIGIN_PORT": port},
		AllowOpenStreams: true, // pooled origin connections stay open
	})
	return enginetest.Addr(t, e, "example:north_tcp_server")
}

func TestProxy(t *testing.T) {
	curl := testtool.Require(t, "curl")
	for _, o := range []struct {
		name   string
		protos []string
		want   string
	}{
		{"origin h2", []string{"h2", "http/1.1"}, "x-origin-proto: HTTP/2.0"},
		{"origin http/1.1", []string{"http/1.1"}, "x-origin-proto: HTTP/1.1"},
	} {
		t.Run(o.name, func(t *testing.T) {
			addr := example(t, o.protos...)
			for _, mode := range []string{"--http1.1", "--http2-prior-knowledge"} {
				for i := 0; i < 3; i++ {
					out, err := exec.Command(curl, "-sS", "-i", "--max-time", "5", mode,
						"-d", "hello", "http://"+addr+"/items?id=7").CombinedOutput()
					if err != nil {
						t.Fatalf("curl %s: %v\n%s", mode, err, out)
					}
					text := strings.ToLower(string(out))
					if !strings.Contains(text, " 200") || !strings.Contains(text, strings.ToLower(o.want)) ||
						!strings.HasSuffix(string(out), "POST /items?id=7 hello") {
						t.Fatalf("curl %s: got\n%s", mode, out)
					}
				}
			}
		})
	}
}
