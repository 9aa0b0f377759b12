package harness

import (
	"net"
	"time"
)

// FreeAddr returns a loopback address with a port free at the time of the
// call.
func FreeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Check(err)
	defer l.Close()
	return l.Addr().String()
}

// FreePort returns a loopback port free at the time of the call.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Accepts says whether something accepts TCP connections on addr now.
func Accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
