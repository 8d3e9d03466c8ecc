package controller

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
		err  string
	}{
		{name: "empty", in: "", want: map[string]string{}},
		{name: "pairs", in: "A=1\nB=two words\n", want: map[string]string{"A": "1", "B": "two words"}},
		{name: "comments and blank lines", in: "# a comment\n\n   \n\t# indented comment\nA=1\n", want: map[string]string{"A": "1"}},
		{name: "value taken as is", in: "A= spaced \"quoted\" # not a comment \nB='x'\n", want: map[string]string{"A": " spaced \"quoted\" # not a comment ", "B": "'x'"}},
		{name: "leading white space of the name is dropped", in: "  \tA=1\n", want: map[string]string{"A": "1"}},
		{name: "empty value", in: "A=\n", want: map[string]string{"A": ""}},
		{name: "equals in the value", in: "URL=http://h/?a=b\n", want: map[string]string{"URL": "http://h/?a=b"}},
		{name: "later line wins", in: "A=1\nA=2\n", want: map[string]string{"A": "2"}},
		{name: "name without a value is ignored", in: "HOME\nA=1\n", want: map[string]string{"A": "1"}},
		{name: "CRLF line ends", in: "A=1\r\nB=2\r\n", want: map[string]string{"A": "1", "B": "2"}},
		{name: "byte order mark", in: "\xef\xbb\xbfA=1\n", want: map[string]string{"A": "1"}},
		{name: "no final newline", in: "A=1", want: map[string]string{"A": "1"}},
		{name: "white space in the name", in: "A=1\nMY VAR=secret\n", err: "line 2: the variable name contains white space"},
		{name: "white space before the equals sign", in: "A =1\n", err: "line 1: the variable name contains white space"},
		{name: "no name", in: "=1\n", err: "line 1 has no variable name"},
		{name: "invalid UTF-8", in: "A=1\nB=\xff\n", err: "line 2 is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnvFile([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestReadEnvFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.env")
	if err := os.WriteFile(file, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.env")
	if err := os.WriteFile(big, []byte("A="+strings.Repeat("x", maxEnvFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value string
		err   string // empty: reads A=1
	}{
		{value: file},
		{value: "file://" + file},
		{value: "file://localhost" + file},
		{value: "file:" + file},
		{value: dir + "/./app.env"},
		{value: filepath.Join(dir, "missing.env"), err: "no such file or directory"},
		{value: dir, err: "is a directory"},
		{value: big, err: "larger than 1048576 bytes"},
		{value: "app.env", err: "not a local file"},
		{value: "arn:aws:s3:::bucket/app.env", err: "not a local file"},
		{value: "s3://bucket/app.env", err: "not a local file"},
		{value: "file://otherhost" + file, err: `file URL names host "otherhost"`},
		{value: "file:app.env", err: "file URL without an absolute path"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := readEnvFile(tt.value)
			if tt.err == "" {
				if err != nil || got["A"] != "1" {
					t.Errorf("got %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one saying %q", err, tt.err)
			}
		})
	}
}

// FuzzParseEnvFile checks that any file parses or fails cleanly, and
// that what it yields are names without white space or '='.
func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n", "# c\n\nB= x \r\n", "\xef\xbb\xbfA=1", "A B=1", "=x", "\xff=1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := parseEnvFile(b)
		if err != nil {
			return
		}
		for k := range env {
			if k == "" || strings.ContainsAny(k, " \t=\n") || strings.HasPrefix(k, "#") {
				t.Fatalf("name %q from %q", k, b)
			}
		}
	})
}
