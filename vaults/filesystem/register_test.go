package filesystem_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/bindings/echo"
	_ "github.com/sluicehq/sluice/bindings/tcp"
	_ "github.com/sluicehq/sluice/bindings/tls"
	"github.com/sluicehq/sluice/engine"
	"github.com/sluicehq/sluice/engine/enginetest"
	"github.com/sluicehq/sluice/internal/testtool"
	_ "github.com/sluicehq/sluice/vaults/filesystem"
)

const storePassword = "s3cret-Passw0rd"

// makeStores writes tls/keys.p12 (alias localhost) and tls/trust.p12
// (alias clientca) with openssl into a new folder, and returns the folder.
func makeStores(t *testing.T) string {
	openssl := testtool.Require(t, "openssl")
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	if err := os.Mkdir(tlsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = tlsDir
		cmd.Env = append(os.Environ(), "PKI_PASSWORD="+storePassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "localhost.key", "-out", "localhost.pem", "-days", "1", "-subj", "/CN=localhost",
		"-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
	run("pkcs12", "-export", "-in", "localhost.pem", "-inkey", "localhost.key", "-name", "localhost",
		"-passout", "env:PKI_PASSWORD", "-out", "keys.p12")
	run("pkcs12", "-export", "-nokeys", "-in", "localhost.pem", "-caname", "clientca",
		"-passout", "env:PKI_PASSWORD", "-out", "trust.p12")
	return dir
}

const vaultYAML = `name: test
vaults:
  server:
    type: filesystem
    options:
      keys:
        store: tls/keys.p12
        type: pkcs12
        password: ${{env.KEYSTORE_PASSWORD}}
        %ENTRIES%
      trust:
        store: tls/trust.p12
        password: ${{env.KEYSTORE_PASSWORD}}
bindings:
  net0:
    type: tcp
    kind: server
    options: { host: 127.0.0.1, port: 0 }
    exit: tls0
  tls0:
    type: tls
    kind: server
    vault: server
    options:
      keys: [%KEY%]
      mutual: none
    exit: echo0
  echo0:
    type: echo
    kind: server
`

func vaultConfig(entries, key string) string {
	return strings.NewReplacer("%ENTRIES%", entries, "%KEY%", key).Replace(vaultYAML)
}

// TestRegisteredVaultServesTLS loads stores relative to zilla.yaml with the
// password from the environment and runs a handshake with the key.
func TestRegisteredVaultServesTLS(t *testing.T) {
	dir := makeStores(t)
	e := enginetest.Start(t, vaultConfig("entries: [localhost]", "localhost"), enginetest.Options{
		File: filepath.Join(dir, "zilla.yaml"),
		Env:  map[string]string{"KEYSTORE_PASSWORD": storePassword},
	})
	pemData, err := os.ReadFile(filepath.Join(dir, "tls", "localhost.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemData)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	c, err := tls.Dial("tcp", enginetest.Addr(t, e, "test:net0"), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake with the vault's key: %v", err)
	}
	c.Close()
}

// TestRegisteredVaultErrors checks that start-up errors name the vault, the
// store and the alias, sit at the right YAML path, and never show the
// password.
func TestRegisteredVaultErrors(t *testing.T) {
	dir := makeStores(t)
	for _, tc := range []struct {
		name     string
		yaml     string
		password string
		want     []string
	}{
		{"wrong password", vaultConfig("", "localhost"), "not-the-password",
			[]string{"vaults.server.options.keys", "filesystem server", `"tls/keys.p12"`, "wrong password"}},
		{"missing entry", vaultConfig("entries: [nosuchalias]", "localhost"), storePassword,
			[]string{"vaults.server.options.keys", "filesystem server", `"nosuchalias"`, "not found"}},
		{"missing key alias in tls", vaultConfig("", "nosuchkey"), storePassword,
			[]string{"bindings.tls0.options.keys", "test:server", `"nosuchkey"`}},
		{"missing store", strings.Replace(vaultConfig("", "localhost"), "tls/trust.p12", "tls/none.p12", 1), storePassword,
			[]string{"vaults.server.options.trust", "filesystem server", `"tls/none.p12"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) (string, bool) {
				if k == "KEYSTORE_PASSWORD" {
					return tc.password, true
				}
				return "", false
			}
			cfg, err := engine.Global().Parse(filepath.Join(dir, "zilla.yaml"), []byte(tc.yaml), engine.WithEnv(env))
			if err == nil {
				_, err = engine.New(cfg, engine.WithLogger(enginetest.Logger(t)))
			}
			if err == nil {
				t.Fatal("configuration accepted")
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, tc.password) || strings.Contains(msg, storePassword) {
				t.Errorf("error shows the password: %q", msg)
			}
		})
	}
}
