package server

import "testing"

func TestCheckExposure(t *testing.T) {
	for _, c := range []struct {
		listen                  string
		authenticated, insecure bool
		ok                      bool
	}{
		{"127.0.0.1:7400", false, false, true},
		{"[::1]:7400", false, false, true},
		{"localhost:7400", false, false, true},
		{"0.0.0.0:7400", false, false, false},
		{":7400", false, false, false},
		{"192.0.2.10:7400", false, false, false},
		{"0.0.0.0:7400", true, false, true},
		{"0.0.0.0:7400", false, true, true},
		{"nonsense", false, false, false},
	} {
		if err := checkExposure(c.listen, c.authenticated, c.insecure); (err == nil) != c.ok {
			t.Errorf("checkExposure(%q, keys=%v, insecure=%v) = %v, want ok=%v", c.listen, c.authenticated, c.insecure, err, c.ok)
		}
	}
}
