package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cutover/cutover/internal/store"
)

// InstanceIDFile, in the data directory, holds the random ID that names
// this server's data to systems others share: the docker runtime's
// containers are in namespace "cutover-<ID>", so that the servers of two
// data directories on one host never take each other's containers.
// Servers that share a PostgreSQL store share the ID the first of them
// recorded there instead (controlPlaneInstance).
const InstanceIDFile = "instance-id"

// The data directory's server files: serverLockFile is flock-ed by the
// server that uses the directory for as long as it runs; serverIDFile
// names that server among the servers that share a store.
const (
	serverLockFile = "server.lock"
	serverIDFile   = "server-id"
)

// lockDataDir makes the data directory if need be and takes its lock,
// which release gives back: two servers on one data directory would
// fight over its load balancer and tasks. A server killed outright
// leaves no lock behind (the kernel drops it with the process).
func lockDataDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the data directory: %w", err)
	}
	path := filepath.Join(dir, serverLockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another cutover server uses the data directory %s", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// serverID returns the name of the server of the data directory among
// those that share its store: the host's name and the directory's own
// random ID. It stays across restarts, so that a restarted leader takes
// its lease back at once; the data directory's lock keeps it to one
// process at a time.
func serverID(dataDir string) (string, error) {
	id, err := dataDirValue(dataDir, serverIDFile, randomID)
	if err != nil {
		return "", err
	}
	host, _ := os.Hostname()
	return host + "/" + id, nil
}

// randomID returns 8 random hexadecimal digits.
func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// controlPlaneInstance returns the control plane's instance ID: the data
// directory's, or, on a store that several servers share, the one the
// first of them recorded, so that each finds the tasks the others
// started.
func controlPlaneInstance(ctx context.Context, st store.Store, dataDir string) (string, error) {
	return sharedDataDirValue(ctx, st, dataDir, InstanceIDFile, randomID)
}

// sharedDataDirValue is dataDirValue for a value that servers sharing st
// share: the first one proposed there, which then replaces the data
// directory's own, so that the file always says what the server uses.
func sharedDataDirValue(ctx context.Context, st store.Store, dataDir, name string, gen func() string) (string, error) {
	v, err := dataDirValue(dataDir, name, gen)
	el, ok := st.(elector)
	if err != nil || !ok {
		return v, err
	}
	s, err := el.Shared(ctx, name, v)
	if err != nil || s == v {
		return s, err
	}
	path := filepath.Join(dataDir, name)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return s, nil
}

// dataDirValue returns the value kept in the data directory's file
// name, first writing one made by gen when there is none.
func dataDirValue(dataDir, name string, gen func() string) (string, error) {
	path := filepath.Join(dataDir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	v := gen()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return v, nil
}
