package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicehq/sluice/bindings/kafka/embedded"
	_ "github.com/sluicehq/sluice/bindings/tls"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
	_ "github.com/sluicehq/sluice/vaults/filesystem"
)

// testCA makes a CA and a server certificate for localhost, and writes
// the CA to a PEM trust store.
func testCA(t *testing.T) (serverCert tls.Certificate, trustFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	trustFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(trustFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, trustFile
}

func TestTLSThroughTheExit(t *testing.T) {
	cert, trust := testCA(t)
	addr, stop, err := embedded.Start("", embedded.With(kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	yaml := `
name: test
vaults:
  trust0:
    type: filesystem
    options:
      trust: {store: "TRUST", type: pem}
bindings:
  kafka0:
    type: kafka
    kind: client
    options:
      servers: ["${{env.KAFKA}}"]
    exit: tls0
  tls0:
    type: tls
    kind: client
    vault: trust0
    options: {trust: [ca], sni: [localhost]}
    exit: tcp0
  tcp0:
    type: tcp
    kind: client
`
	e := startEngine(t, addr, strings.Replace(yaml, "TRUST", trust, 1))
	topic := topicName(t)
	produceAll(t, e, "kafka0", topic, []string{"k", "over tls"})
	got, _ := fetchAll(t, e, "kafka0", &kafkaspec.BeginEx{Topic: topic})
	if len(got) != 1 || string(got[0].value) != "over tls" {
		t.Fatalf("fetched %v", values(got))
	}

	// Without the exit, the client speaks plaintext to a TLS listener and
	// never gets through: the record fails, retriably.
	defer func(d, r time.Duration) { deliveryTimeout, requestTimeout = d, r }(deliveryTimeout, requestTimeout)
	deliveryTimeout, requestTimeout = 2*time.Second, 2*time.Second
	plain := startEngine(t, addr, clientYAML)
	if a := ackOf(t, plain, "kafka0", topic, 20*time.Second); a.Error == nil || !a.Error.Retriable {
		t.Errorf("plaintext produce to a TLS broker acked with %+v", a)
	}
}
