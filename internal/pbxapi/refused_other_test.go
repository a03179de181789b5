//go:build !unix

package pbxapi_test

import (
	"net"
	"testing"
)

// reservedPort, where a socket cannot be bound without listening, is a port
// that was free a moment ago: another process may take it before listen.
type reservedPort struct{ addr string }

func reservePort(t testing.TB) *reservedPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return &reservedPort{addr: addr}
}

func (p *reservedPort) listen() (net.Listener, error) {
	return net.Listen("tcp", p.addr)
}
