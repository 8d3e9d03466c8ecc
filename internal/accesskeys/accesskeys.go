// Package accesskeys reads the access keys a server accepts: one per
// line, "ACCESS_KEY_ID SECRET_ACCESS_KEY [NAME]", with blank lines and
// lines starting with # ignored. The name says whose key it is in the
// audit trail and the dashboard; without one, the key ID does.
package accesskeys

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Key is one access key.
type Key struct {
	ID     string
	Secret string
	Name   string
}

// Keys are the access keys of a server, by ID.
type Keys struct {
	byID map[string]Key
}

// idRE is what an access key ID may be: AWS's are 16 to 128 word
// characters.
var idRE = regexp.MustCompile(`^\w{16,128}$`)

// Load reads the access keys file at path. A malformed line, a duplicate
// key ID, a secret shorter than 16 characters or a file without keys is
// an error naming the line; the error never contains a secret.
func Load(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("access keys: %w", err)
	}
	defer f.Close()
	k := &Keys{byID: map[string]Key{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || len(fields) > 3 {
			return nil, fmt.Errorf("access keys %s:%d: want ACCESS_KEY_ID SECRET_ACCESS_KEY [NAME]", path, n)
		}
		key := Key{ID: fields[0], Secret: fields[1], Name: fields[0]}
		if len(fields) == 3 {
			key.Name = fields[2]
		}
		switch {
		case !idRE.MatchString(key.ID):
			return nil, fmt.Errorf("access keys %s:%d: the access key ID must be 16 to 128 letters, digits or underscores", path, n)
		case len(key.Secret) < 16:
			return nil, fmt.Errorf("access keys %s:%d: the secret of %s is shorter than 16 characters", path, n, key.ID)
		}
		if _, dup := k.byID[key.ID]; dup {
			return nil, fmt.Errorf("access keys %s:%d: access key %s is listed twice", path, n, key.ID)
		}
		k.byID[key.ID] = key
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("access keys %s: %w", path, err)
	}
	if len(k.byID) == 0 {
		return nil, errors.New("access keys " + path + ": no keys")
	}
	return k, nil
}

// Lookup returns the key with the given ID.
func (k *Keys) Lookup(id string) (Key, bool) {
	key, ok := k.byID[id]
	return key, ok
}

// Check returns the key whose ID and secret are given, comparing the
// secret in constant time.
func (k *Keys) Check(id, secret string) (Key, bool) {
	key, ok := k.byID[id]
	if !ok || subtle.ConstantTimeCompare([]byte(key.Secret), []byte(secret)) != 1 {
		return Key{}, false
	}
	return key, true
}
