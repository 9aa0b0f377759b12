// Package httpecho_test runs the http.echo example against real clients:
// curl (HTTP/1.1, h2c upgrade, h2c prior knowledge, HTTPS with ALPN),
// nghttp and h2load, with keys made by pki.sh.
package httpecho_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/http"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	_ "github.com/sluicehq/sluice/bindings/tls"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	_ "github.com/sluicehq/sluice/vaults/filesystem"
)

// example makes the PKI with pki.sh in a new folder, starts the example's
// zilla.yaml from there on 127.0.0.1 and free ports, and returns the
// folder and the plain and TLS addresses.
func example(t *testing.T) (dir, plain, secure string) {
	t.Helper()
	testtool.Require(t, "openssl")
	bash := testtool.Require(t, "bash")
	dir = t.TempDir()
	script, _ := filepath.Abs("pki.sh")
	if out, err := exec.Command(bash, script, filepath.Join(dir, "tls")).CombinedOutput(); err != nil {
		t.Fatalf("pki.sh: %v\n%s", err, out)
	}
	yaml, err := os.ReadFile("zilla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(yaml), "host: 0.0.0.0", "host: 127.0.0.1")
	e := enginetest.Start(t, text, enginetest.Options{
		File: filepath.Join(dir, "zilla.yaml"),
		Env:  map[string]string{"HTTP_PORT": "0", "HTTPS_PORT": "0"},
	})
	return dir, enginetest.Addr(t, e, "example:north_tcp_server"), enginetest.Addr(t, e, "example:north_tcps_server")
}

// run runs a command and returns its standard output and error together.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func TestCurl(t *testing.T) {
	curl := testtool.Require(t, "curl")
	dir, plain, secure := example(t)
	resolve := "localhost:" + port(secure) + ":127.0.0.1"
	cases := []struct {
		name  string
		args  []string
		proto string
	}{
		{"http1.1", []string{"--http1.1", "-d", "hello", "http://" + plain + "/echo"}, "HTTP/1.1 200"},
		{"http2 upgrade", []string{"--http2", "-H", "x-test: upgraded", "http://" + plain + "/echo"}, "HTTP/2 200"},
		{"http2 prior knowledge", []string{"--http2-prior-knowledge", "-d", "hello", "http://" + plain + "/echo"}, "HTTP/2 200"},
		{"https h2", []string{"--cacert", filepath.Join(dir, "tls", "ca.pem"), "--resolve", resolve, "-d", "hello", "https://localhost:" + port(secure) + "/echo"}, "HTTP/2 200"},
		{"https http1.1", []string{"--http1.1", "--cacert", filepath.Join(dir, "tls", "ca.pem"), "--resolve", resolve, "-d", "hello", "https://localhost:" + port(secure) + "/echo"}, "HTTP/1.1 200"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := run(t, curl, append([]string{"-sS", "-i", "--max-time", "5"}, c.args...)...)
			if c.name == "http2 upgrade" {
				if !strings.HasPrefix(out, "HTTP/1.1 101 Switching Protocols") {
					t.Fatalf("want a 101 first, got:\n%s", out)
				}
				out = out[strings.Index(out, "\r\n\r\n")+4:]
			}
			if !strings.HasPrefix(out, c.proto) {
				t.Fatalf("want %s, got:\n%s", c.proto, out)
			}
			if strings.Contains(strings.Join(c.args, " "), "-d hello") && !strings.HasSuffix(out, "\r\n\r\nhello") {
				t.Fatalf("body not echoed:\n%s", out)
			}
			if c.name == "http2 upgrade" && !strings.Contains(out, "x-test: upgraded") {
				t.Fatalf("header not echoed:\n%s", out)
			}
		})
	}
	t.Run("no route", func(t *testing.T) {
		out := run(t, curl, "-sS", "-i", "--max-time", "5", "http://"+plain+"/other")
		if !strings.HasPrefix(out, "HTTP/1.1 404") {
			t.Fatalf("got:\n%s", out)
		}
	})
	t.Run("large upload", func(t *testing.T) {
		body := filepath.Join(t.TempDir(), "body")
		if err := os.WriteFile(body, []byte(strings.Repeat("0123456789", 1<<20)), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, proto := range []string{"--http1.1", "--http2-prior-knowledge"} {
			out := run(t, curl, "-sS", proto, "--max-time", "20", "--data-binary", "@"+body,
				"-o", "/dev/null", "-w", "%{http_code} %{size_download}", "http://"+plain+"/echo")
			if out != "200 10485760" {
				t.Fatalf("%s: got %q", proto, out)
			}
		}
	})
}

func TestNghttp(t *testing.T) {
	nghttp := testtool.Require(t, "nghttp")
	_, plain, _ := example(t)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(data, []byte("hello from nghttp"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range [][]string{{}, {"-u"}} {
		out := run(t, nghttp, append(mode, "-d", data, "http://"+plain+"/echo")...)
		if !strings.Contains(out, "hello from nghttp") {
			t.Fatalf("nghttp %v: got:\n%s", mode, out)
		}
	}
}

func TestH2load(t *testing.T) {
	h2load := testtool.Require(t, "h2load")
	_, plain, _ := example(t)
	out := run(t, h2load, "-n", "2000", "-c", "8", "-m", "10", "http://"+plain+"/echo")
	if !strings.Contains(out, "2000 succeeded") || !strings.Contains(out, "status codes: 2000 2xx") {
		t.Fatalf("h2load:\n%s", out)
	}
	out = run(t, h2load, "--h1", "-n", "2000", "-c", "8", "http://"+plain+"/echo")
	if !strings.Contains(out, "2000 succeeded") || !strings.Contains(out, "status codes: 2000 2xx") {
		t.Fatalf("h2load --h1:\n%s", out)
	}
}
