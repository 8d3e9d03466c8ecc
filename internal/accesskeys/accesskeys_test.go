package accesskeys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	k, err := Load(write(t, "# operators\nAKIAALICE0000000001 alice-secret-0000000001 alice\n\nAKIABOB00000000002 bob-secret-00000000002\n"))
	if err != nil {
		t.Fatal(err)
	}
	if key, ok := k.Lookup("AKIAALICE0000000001"); !ok || key.Name != "alice" {
		t.Errorf("alice: %+v %v", key, ok)
	}
	if key, ok := k.Lookup("AKIABOB00000000002"); !ok || key.Name != "AKIABOB00000000002" {
		t.Errorf("bob is named by his key ID: %+v %v", key, ok)
	}
	if _, ok := k.Check("AKIAALICE0000000001", "alice-secret-0000000001"); !ok {
		t.Error("alice's secret is refused")
	}
	if _, ok := k.Check("AKIAALICE0000000001", "alice-secret-0000000002"); ok {
		t.Error("a wrong secret is accepted")
	}
	if _, ok := k.Check("AKIANOBODY000000000", "alice-secret-0000000001"); ok {
		t.Error("an unknown key is accepted")
	}
}

func TestLoadRefuses(t *testing.T) {
	for content, want := range map[string]string{
		"":                            "no keys",
		"AKIAALICE0000000001\n":       ":1: want",
		"short s3cretsecretsecret\n":  "16 to 128",
		"AKIAALICE0000000001 short\n": "shorter than 16",
		"AKIAALICE0000000001 alice-secret-0000000001\nAKIAALICE0000000001 alice-secret-0000000001\n": ":2: access key AKIAALICE0000000001 is listed twice",
		"AKIAALICE0000000001 alice-secret-0000000001 a b\n":                                          "want",
	} {
		_, err := Load(write(t, content))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want an error containing %q", content, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "alice-secret") {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}
