package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// InstanceIDFile, in the data directory, holds the random ID that names
// this server's data to systems others share: the docker runtime's
// containers are in namespace "cutover-<ID>", so that the servers of two
// data directories on one host never take each other's containers.
const InstanceIDFile = "instance-id"

// instanceID returns the data directory's instance ID, made on first use.
func instanceID(dataDir string) (string, error) {
	return dataDirValue(dataDir, InstanceIDFile, func() string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	})
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
