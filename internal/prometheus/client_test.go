package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// server answers the Prometheus HTTP API with body for any query, and
// records the last request's form.
func server(t *testing.T, status int, body string) (*Client, *http.Request) {
	t.Helper()
	last := &http.Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		*last = *r
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/prometheus/", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, last
}

func TestQueryRange(t *testing.T) {
	c, last := server(t, http.StatusOK, `{"status":"success","data":{"resultType":"matrix","result":[
		{"metric":{"job":"web"},"values":[[1795521600,"1.5"],[1795521660.5,"NaN"],[1795521720,"+Inf"]]}]}}`)
	start := time.Unix(1795521600, 0)
	series, err := c.QueryRange(context.Background(), `rate(x[1m])`, start, start.Add(2*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if last.URL.Path != "/prometheus/api/v1/query_range" || last.Method != http.MethodPost ||
		last.Form.Get("query") != `rate(x[1m])` || last.Form.Get("start") != "1795521600" ||
		last.Form.Get("end") != "1795521720" || last.Form.Get("step") != "60" {
		t.Errorf("request %s %s %v", last.Method, last.URL.Path, last.Form)
	}
	if len(series) != 1 || series[0].Labels["job"] != "web" || len(series[0].Samples) != 3 {
		t.Fatalf("series = %+v", series)
	}
	s := series[0].Samples
	if !s[0].Time.Equal(start) || s[0].Value != 1.5 || !math.IsNaN(s[1].Value) || !math.IsInf(s[2].Value, 1) ||
		!s[1].Time.Equal(start.Add(60500*time.Millisecond)) {
		t.Errorf("samples = %+v", s)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Series
	}{
		{"vector", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[10,"2"]}]}}`,
			[]Series{{Labels: map[string]string{"a": "1"}, Samples: []Sample{{Time: time.Unix(10, 0).UTC(), Value: 2}}}}},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[10,"3"]}}`,
			[]Series{{Samples: []Sample{{Time: time.Unix(10, 0).UTC(), Value: 3}}}}},
		{"empty", `{"status":"success","data":{"resultType":"vector","result":[]}}`, []Series{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, last := server(t, http.StatusOK, tt.body)
			got, err := c.Query(context.Background(), "up", time.Unix(10, 0))
			if err != nil {
				t.Fatal(err)
			}
			if last.URL.Path != "/prometheus/api/v1/query" || last.Form.Get("time") != "10" {
				t.Errorf("request %s %v", last.URL.Path, last.Form)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"bad query", http.StatusBadRequest, `{"status":"error","errorType":"bad_data","error":"parse error"}`},
		{"not the API", http.StatusOK, `<html>hello</html>`},
		{"string result", http.StatusOK, `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`},
		{"bad value", http.StatusOK, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"one"]}]}}`},
		{"bad time", http.StatusOK, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["x","1"]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := server(t, tt.status, tt.body)
			if _, err := c.Query(context.Background(), "up", time.Unix(10, 0)); !errors.Is(err, ErrQuery) {
				t.Fatalf("error = %v, want ErrQuery", err)
			}
		})
	}
	c, _ := server(t, http.StatusOK, `{}`)
	if _, err := c.QueryRange(context.Background(), "up", time.Unix(0, 0), time.Unix(60, 0), 0); !errors.Is(err, ErrQuery) {
		t.Errorf("zero step: %v", err)
	}
	unreachable, err := New("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unreachable.Query(context.Background(), "up", time.Unix(10, 0)); !errors.Is(err, ErrQuery) {
		t.Errorf("unreachable: %v", err)
	}
	for _, bad := range []string{"", "localhost:9090", "ftp://x", "http://"} {
		if _, err := New(bad, nil); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
