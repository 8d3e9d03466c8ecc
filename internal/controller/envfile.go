package controller

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEnvFileSize bounds an environment file: the controller reads it
// whole while it starts a task.
const maxEnvFileSize = 1 << 20

// readEnvFile reads the environment file a task definition names by
// value. ECS takes an S3 object ARN there; cutover takes a local file:
// an absolute path or a file:// URL. The errors say why the file cannot
// be used without repeating its content.
func readEnvFile(value string) (map[string]string, error) {
	name, err := localEnvFile(value)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fsReason(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFileSize+1))
	if err != nil {
		return nil, fsReason(err)
	}
	if len(b) > maxEnvFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxEnvFileSize)
	}
	return parseEnvFile(b)
}

// localEnvFile returns the path of the local file value names.
func localEnvFile(value string) (string, error) {
	if filepath.IsAbs(value) {
		return filepath.Clean(value), nil
	}
	u, err := url.Parse(value)
	if err != nil || u.Scheme != "file" {
		return "", errors.New("not a local file: give an absolute path or a file:// URL (S3 is not supported)")
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("file URL names host %q: only local files are supported", u.Host)
	}
	if u.Opaque != "" || !filepath.IsAbs(u.Path) {
		return "", errors.New("file URL without an absolute path")
	}
	return filepath.Clean(u.Path), nil
}

// fsReason shortens a file system error to its cause (the path is
// already in the task's stoppedReason).
func fsReason(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// parseEnvFile parses an environment file with the rules of Docker's
// --env-file: one VAR=VALUE a line, the value taken as is (no quotes are
// removed, no space trimmed); leading white space, blank lines and lines
// starting with '#' are ignored, and so is a line without '=' (Docker
// would copy the variable from its own environment: the control plane's
// is not the task's). A UTF-8 byte order mark is skipped. A later line
// wins over an earlier one for the same variable.
func parseEnvFile(b []byte) (map[string]string, error) {
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxEnvFileSize)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Bytes()
		if n == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		if !utf8.Valid(raw) {
			return nil, fmt.Errorf("line %d is not valid UTF-8", n)
		}
		line := strings.TrimLeftFunc(string(raw), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("line %d: the variable name contains white space", n)
		}
		if name == "" {
			return nil, fmt.Errorf("line %d has no variable name", n)
		}
		if ok {
			env[name] = value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return env, nil
}
