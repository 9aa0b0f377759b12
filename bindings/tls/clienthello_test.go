package tls

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"testing"
)

// captureClientHello returns the first flight a Go client sends.
func captureClientHello(t *testing.T, serverName string, protocols ...string) []byte {
	t.Helper()
	client, server := net.Pipe()
	defer server.Close()
	go tls.Client(client, &tls.Config{ServerName: serverName, NextProtos: protocols, InsecureSkipVerify: true}).Handshake()
	buf := make([]byte, 64<<10)
	n, err := server.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	client.Close()
	return buf[:n]
}

// refragment splits one handshake record into records of at most size bytes.
func refragment(record []byte, size int) []byte {
	body := record[recordHeaderLen:]
	var out []byte
	for len(body) > 0 {
		n := min(size, len(body))
		out = append(out, recordTypeHandshake, 3, 1, byte(n>>8), byte(n))
		out = append(out, body[:n]...)
		body = body[n:]
	}
	return out
}

func TestParseClientHello(t *testing.T) {
	hello := captureClientHello(t, "b.example", "h2", "http/1.1")
	for _, data := range [][]byte{hello, refragment(hello, 100), refragment(hello, 1)} {
		ch, err := parseClientHello(data)
		if err != nil {
			t.Fatal(err)
		}
		if ch.serverName != "b.example" || !slices.Equal(ch.protocols, []string{"h2", "http/1.1"}) {
			t.Fatalf("got %+v", ch)
		}
		for i := range len(data) - 1 {
			if _, err := parseClientHello(data[:i]); !errors.Is(err, errIncomplete) {
				t.Fatalf("prefix of %d bytes: %v", i, err)
			}
		}
	}
	none, err := parseClientHello(captureClientHello(t, ""))
	if err != nil || none.serverName != "" || none.protocols != nil {
		t.Fatalf("got %+v, %v", none, err)
	}
}

func TestParseClientHelloRejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"plain text":   []byte("GET / HTTP/1.1\r\n\r\n"),
		"alert record": {21, 3, 3, 0, 2, 2, 40},
		"server hello": append([]byte{22, 3, 3, 0, 4, 2}, 0, 0, 0),
		"ssl2":         {0x80, 0x2e, 1, 3, 1},
		"empty record": {22, 3, 1, 0, 0},
		// A ClientHello whose declared length is shorter than its fields.
		"truncated body": {22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0},
	} {
		if _, err := parseClientHello(data); err == nil || errors.Is(err, errIncomplete) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
