// Package tlsecho_test runs the tls.echo example against real clients:
// openssl s_client and curl, with keys made by pki.sh.
package tlsecho_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	_ "github.com/sluicehq/sluice/bindings/tls"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	_ "github.com/sluicehq/sluice/vaults/filesystem"
)

const password = "example-Passw0rd"

// example makes the PKI with pki.sh in a new folder, starts the example's
// zilla.yaml from there (on 127.0.0.1, a free port, and with replace
// applied to the text), and returns the folder and the address.
func example(t *testing.T, replace ...string) (dir, addr string) {
	t.Helper()
	testtool.Require(t, "openssl")
	bash := testtool.Require(t, "bash")
	dir = t.TempDir()
	script, _ := filepath.Abs("pki.sh")
	cmd := exec.Command(bash, script, filepath.Join(dir, "tls"))
	cmd.Env = append(os.Environ(), "KEYSTORE_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pki.sh: %v\n%s", err, out)
	}
	yaml, err := os.ReadFile("zilla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(yaml), "host: 0.0.0.0", "host: 127.0.0.1", 1)
	text = strings.NewReplacer(replace...).Replace(text)
	e := enginetest.Start(t, text, enginetest.Options{
		File: filepath.Join(dir, "zilla.yaml"),
		Env:  map[string]string{"KEYSTORE_PASSWORD": password, "TLS_ECHO_PORT": "0"},
	})
	return dir, enginetest.Addr(t, e, "example:north_tcp_server")
}

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sClient runs openssl s_client with args, sends line, waits for it to come
// back (or for s_client to exit), then ends its input and returns what it
// printed.
func sClient(t *testing.T, addr, line string, args ...string) string {
	t.Helper()
	openssl := testtool.Require(t, "openssl")
	cmd := exec.Command(openssl, append([]string{"s_client", "-connect", addr}, args...)...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	io.WriteString(stdin, line+"\n")
	deadline := time.After(10 * time.Second)
wait:
	for !strings.Contains(out.String(), line) {
		select {
		case <-done:
			break wait
		case <-deadline:
			break wait
		case <-time.After(20 * time.Millisecond):
		}
	}
	stdin.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("openssl s_client did not exit:\n%s", out.String())
	}
	return out.String()
}

func TestOpenSSLClient(t *testing.T) {
	dir, addr := example(t)
	ca := filepath.Join(dir, "tls", "ca.pem")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"tls1.3", []string{"-tls1_3"}, []string{"Protocol  : TLSv1.3", "ALPN protocol: echo", "Verify return code: 0 (ok)", "echo me"}},
		{"tls1.2", []string{"-tls1_2"}, []string{"Protocol  : TLSv1.2", "ALPN protocol: echo", "Verify return code: 0 (ok)", "echo me"}},
		{"client certificate", []string{"-cert", filepath.Join(dir, "tls", "client.pem"), "-key", filepath.Join(dir, "tls", "client.key")},
			[]string{"ALPN protocol: echo", "echo me"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-servername", "localhost", "-alpn", "echo", "-CAfile", ca}, tc.args...)
			out := sClient(t, addr, "echo me", args...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("unsupported protocol", func(t *testing.T) {
		out := sClient(t, addr, "not echoed", "-servername", "localhost", "-alpn", "h2", "-CAfile", ca)
		if !strings.Contains(out, "no application protocol") || strings.Contains(out, "not echoed") {
			t.Fatalf("want the no_application_protocol alert:\n%s", out)
		}
	})
}

// TestOpenSSLMutualRequired runs the example with mutual: required: a
// client without a certificate fails the handshake, one with the client
// certificate is echoed.
func TestOpenSSLMutualRequired(t *testing.T) {
	dir, addr := example(t, "mutual: requested", "mutual: required")
	tlsDir := filepath.Join(dir, "tls")
	common := []string{"-servername", "localhost", "-alpn", "echo", "-CAfile", filepath.Join(tlsDir, "ca.pem")}
	out := sClient(t, addr, "with certificate", append(common,
		"-cert", filepath.Join(tlsDir, "client.pem"), "-key", filepath.Join(tlsDir, "client.key"))...)
	if !strings.Contains(out, "with certificate") {
		t.Fatalf("not echoed with a client certificate:\n%s", out)
	}
	out = sClient(t, addr, "without certificate", common...)
	if strings.Contains(out, "without certificate") || !strings.Contains(out, "alert") {
		t.Fatalf("want the handshake refused without a client certificate:\n%s", out)
	}
}

func TestCurl(t *testing.T) {
	curl := testtool.Require(t, "curl")
	dir, addr := example(t)
	_, port, _ := net.SplitHostPort(addr)
	url := "https://localhost:" + port + "/"
	out, err := exec.Command(curl, "-sS", "--cacert", filepath.Join(dir, "tls", "ca.pem"),
		"--no-alpn", "--http0.9", "--max-time", "1", url).CombinedOutput()
	// The echo never ends the response: curl stops at --max-time (28).
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 28) {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "GET / HTTP/1.1") {
		t.Fatalf("the request was not echoed:\n%s", out)
	}
	out, err = exec.Command(curl, "-sS", "--no-alpn", "--max-time", "5", url).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 60 {
		t.Fatalf("want curl to refuse the unknown CA (exit 60), got %v\n%s", err, out)
	}
}

// TestBadClients checks that a plain-text client and a client stalling in
// the handshake each lose only their own connection.
func TestBadClients(t *testing.T) {
	dir, addr := example(t, "mutual: requested", "mutual: requested\n      handshakeTimeout: 500ms")
	pem, err := os.ReadFile(filepath.Join(dir, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	good, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"echo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()

	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.Write([]byte("hello\n"))
	stall, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()
	began := time.Now()
	for _, c := range []net.Conn{plain, stall} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("connection not closed: %v", err)
		}
	}
	if waited := time.Since(began); waited < 400*time.Millisecond {
		t.Fatalf("stalled client closed after %v, before the 500ms timeout", waited)
	}
	good.Write([]byte("still here"))
	buf := make([]byte, len("still here"))
	good.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(good, buf); err != nil || string(buf) != "still here" {
		t.Fatalf("good connection: %q, %v", buf, err)
	}
}

// TestWrongPassword checks the start-up error of a wrong store password.
func TestWrongPassword(t *testing.T) {
	dir, _ := example(t)
	yaml, _ := os.ReadFile("zilla.yaml")
	cfg, err := engine.Global().Parse(filepath.Join(dir, "zilla.yaml"), yaml, engine.WithEnv(func(k string) (string, bool) {
		return map[string]string{"KEYSTORE_PASSWORD": "wrong-guess", "TLS_ECHO_PORT": "0"}[k], true
	}))
	if err == nil {
		_, err = engine.New(cfg, engine.WithLogger(enginetest.Logger(t)))
	}
	if err == nil {
		t.Fatal("started with a wrong password")
	}
	msg := err.Error()
	t.Log(msg)
	for _, w := range []string{`vaults.server.options.keys: filesystem server: keys: pkcs12 store "tls/keys.p12": wrong password`} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q", w)
		}
	}
	if strings.Contains(msg, "wrong-guess") {
		t.Error("error shows the password")
	}
}
