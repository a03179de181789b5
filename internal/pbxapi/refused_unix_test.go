//go:build unix

package pbxapi_test

import (
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// reservedPort is a loopback port this test has bound without listening on
// it: a connection to it is refused, and no other socket can take the port,
// so the test can later listen on it (listen) without the port having been
// free in between.
type reservedPort struct {
	addr string

	mu sync.Mutex
	fd int // -1 once handed to a listener or closed
}

func reservePort(t testing.TB) *reservedPort {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		_ = syscall.Close(fd)
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	in4, ok := sa.(*syscall.SockaddrInet4)
	if err != nil || !ok {
		_ = syscall.Close(fd)
		t.Fatalf("getsockname: %v (%T)", err, sa)
	}
	p := &reservedPort{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port)), fd: fd}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fd >= 0 {
			_ = syscall.Close(p.fd)
			p.fd = -1
		}
	})
	return p
}

// listen starts listening on the reserved port.
func (p *reservedPort) listen() (net.Listener, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd < 0 {
		return nil, syscall.EBADF
	}
	if err := syscall.Listen(p.fd, syscall.SOMAXCONN); err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(p.fd), "reserved port "+p.addr)
	p.fd = -1
	defer f.Close() // FileListener holds its own copy
	return net.FileListener(f)
}
