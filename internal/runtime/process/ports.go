package process

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/cutover/cutover/internal/runtime"
)

// maxPortAttempts bounds how many ports the kernel is asked for per
// mapping before giving up.
const maxPortAttempts = 64

// portKey identifies a host port of one protocol.
type portKey struct {
	proto string
	port  int
}

// usedPorts returns the host ports held by the tasks in the state
// directory, i.e. by every task that exists until it is removed. Tasks
// whose spec cannot be read hold nothing.
func (d *Driver) usedPorts() (map[portKey]bool, error) {
	ids, err := d.taskIDs()
	if err != nil {
		return nil, err
	}
	used := make(map[portKey]bool)
	for _, id := range ids {
		var tf taskFile
		if err := readJSON(d.paths(id).spec(), &tf); err != nil {
			continue
		}
		for _, c := range tf.Spec.Containers {
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					used[portKey{p.Proto(), p.HostPort}] = true
				}
			}
		}
	}
	return used, nil
}

// assignHostPorts gives every mapping of spec with HostPort 0 a free port
// on 127.0.0.1 that no other task of the driver holds. It binds each
// candidate and keeps the sockets open until all are chosen, so the
// kernel never hands out the same port twice within one task. The caller
// holds the driver's lock, so no other Start of this driver interleaves.
func (d *Driver) assignHostPorts(spec *runtime.TaskSpec) error {
	used, err := d.usedPorts()
	if err != nil {
		return fmt.Errorf("collect used ports: %w", err)
	}
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				used[portKey{p.Proto(), p.HostPort}] = true
			}
		}
	}
	var held []io.Closer
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	for ci := range spec.Containers {
		c := &spec.Containers[ci]
		c.Ports = append([]runtime.PortMapping(nil), c.Ports...)
		for pi := range c.Ports {
			p := &c.Ports[pi]
			if p.HostPort != 0 {
				continue
			}
			port, sockets, err := freePort(p.Proto(), used)
			held = append(held, sockets...)
			if err != nil {
				return fmt.Errorf("container %q port %d: %w", c.Name, p.ContainerPort, err)
			}
			p.HostPort = port
			used[portKey{p.Proto(), port}] = true
		}
	}
	return nil
}

// freePort asks the kernel for ports until it gets one not in used. It
// returns every socket it opened; the caller closes them once done.
func freePort(proto string, used map[portKey]bool) (int, []io.Closer, error) {
	var sockets []io.Closer
	for range maxPortAttempts {
		port, c, err := bindEphemeral(proto)
		if err != nil {
			return 0, sockets, err
		}
		sockets = append(sockets, c)
		if !used[portKey{proto, port}] {
			return port, sockets, nil
		}
	}
	return 0, sockets, errors.New("no free port found")
}

// bindEphemeral binds 127.0.0.1:0 and returns the port and the socket.
func bindEphemeral(proto string) (int, io.Closer, error) {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("bind udp port: %w", err)
		}
		return c.LocalAddr().(*net.UDPAddr).Port, c, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, fmt.Errorf("bind tcp port: %w", err)
	}
	return l.Addr().(*net.TCPAddr).Port, l, nil
}
