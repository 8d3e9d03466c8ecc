package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestServerRefusesAnUnknownRuntime(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"server", "--runtime", "kubernetes", "--data-dir", t.TempDir()}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), `--runtime must be process or docker, not "kubernetes"`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestPauseIsHidden(t *testing.T) {
	var stderr bytes.Buffer
	usage(&stderr)
	if strings.Contains(stderr.String(), "pause") || strings.Contains(stderr.String(), "shim") {
		t.Errorf("usage lists a hidden command:\n%s", stderr.String())
	}
}
