// Package system is the host as the hook and the enrolment service see it: its file system
// (a Root, "/" on a host and a temporary directory in tests), the commands they run (a
// Runner), how it knows itself (an Identity) and bounded, logged waits with backoff. Every
// external effect goes through it, so tests run the real steps on a temporary root.
package system

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Runner runs a command on the host. Every external effect of the hook that is not a file or
// an HTTP call goes through it, so tests can run the real steps with logging stand-ins.
type Runner interface {
	Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)
}

// ExecRunner runs commands for real, finding them on PATH.
type ExecRunner struct{}

// Run runs the command and returns its combined output; a non-zero exit is an *exec.ExitError.
func (ExecRunner) Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// ExitCode returns the exit status of a failed command, or -1.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Root is the file system the hook writes to: "/" on a host, a temporary directory in tests.
type Root string

// Path maps an absolute host path into the root.
func (r Root) Path(p string) string { return filepath.Join(string(r), p) }

// MaxRead bounds every file the hook reads: its configuration files, state and reports are
// kilobytes; a file past this is refused rather than read into memory.
const MaxRead = 16 << 20

// Read returns a file's content, or nil if it does not exist; a file over MaxRead is an
// error.
func (r Root) Read(p string) ([]byte, error) {
	f, err := os.Open(r.Path(p))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRead+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRead {
		return nil, fmt.Errorf("%s is larger than %d MiB: not read", p, MaxRead>>20)
	}
	return b, nil
}

// Write puts content at p atomically (temporary file, then rename) unless it is already
// there; it reports whether anything changed.
func (r Root) Write(p string, content []byte, mode os.FileMode) (bool, error) {
	full := r.Path(p)
	if old, err := os.ReadFile(full); err == nil && bytes.Equal(old, content) {
		if st, err := os.Stat(full); err == nil && st.Mode().Perm() == mode {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), "."+filepath.Base(full)+".midobake-")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), full)
}

// Remove deletes the file at p; nothing there is not an error.
func (r Root) Remove(p string) error {
	err := os.Remove(r.Path(p))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Lstat says whether something (a symbolic link included, even a dangling one) is at p.
func (r Root) Lstat(p string) (bool, error) {
	_, err := os.Lstat(r.Path(p))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Link makes p a symbolic link to target unless something is already at p; it reports
// whether it made one.
func (r Root) Link(p, target string) (bool, error) {
	full := r.Path(p)
	if _, err := os.Lstat(full); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return false, err
	}
	return true, os.Symlink(target, full)
}

// Identity is how the host knows itself: its name and addresses.
type Identity interface {
	Hostname() (string, error)
	Addresses() ([]netip.Addr, error)
}

// HostIdentity reads the running host's name and interface addresses.
type HostIdentity struct{}

// Hostname returns the kernel's host name.
func (HostIdentity) Hostname() (string, error) { return os.Hostname() }

// Addresses returns every IPv4 address on the host's interfaces.
func (HostIdentity) Addresses() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// Interface is one network interface of the host, as preflight reads it.
type Interface struct {
	Name  string
	MTU   int
	Up    bool
	Addrs []netip.Prefix // IPv4 only
}

// Network lists the host's interfaces.
type Network interface {
	Interfaces() ([]Interface, error)
}

// HostNetwork reads the running host's interfaces.
type HostNetwork struct{}

// Interfaces returns every interface with its MTU and IPv4 addresses.
func (HostNetwork) Interfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []Interface
	for _, i := range ifs {
		x := Interface{Name: i.Name, MTU: i.MTU, Up: i.Flags&net.FlagUp != 0}
		addrs, err := i.Addrs()
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
					ones, _ := n.Mask.Size()
					x.Addrs = append(x.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
				}
			}
		}
		out = append(out, x)
	}
	return out, nil
}
