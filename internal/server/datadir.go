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

	"github.com/cutover/cutover/internal/store"
)

// InstanceIDFile, in the data directory, holds the random ID that names
// this server's data to systems others share: the docker runtime's
// containers are in namespace "cutover-<ID>", so that the servers of two
// data directories on one host never take each other's containers.
// Servers that share a PostgreSQL store share the ID the first of them
// recorded there instead (controlPlaneInstance).
const InstanceIDFile = "instance-id"

// controlPlaneInstance returns the control plane's instance ID: the data
// directory's, or, on a store that several servers share, the one the
// first of them recorded, so that each finds the tasks the others
// started.
func controlPlaneInstance(ctx context.Context, st store.Store, dataDir string) (string, error) {
	return sharedDataDirValue(ctx, st, dataDir, InstanceIDFile, func() string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	})
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
