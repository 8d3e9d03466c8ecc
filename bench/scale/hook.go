package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// hookServer is a URL lifecycle hook: each hook run (a deployment at one
// stage) is answered IN_PROGRESS with callBackDelay a number of times,
// then SUCCEEDED. It records when each call arrives, so that callback
// lateness = arrival − (previous reply + callBackDelay) is measured where
// the hook sees it.
type hookServer struct {
	delay      time.Duration
	inProgress int // IN_PROGRESS replies before SUCCEEDED
	srv        *http.Server
	url        string

	mu   sync.Mutex
	runs map[string]*hookRun
	late []time.Duration
	bad  int
}

// hookRun is what the hook knows of one run.
type hookRun struct {
	calls     int
	lastReply time.Time
}

// startHookServer serves the hook on a loopback port.
func startHookServer(delay time.Duration, inProgress int) (*hookServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hook listen: %w", err)
	}
	h := &hookServer{delay: delay, inProgress: inProgress, runs: map[string]*hookRun{}, url: "http://" + ln.Addr().String() + "/hook"}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go h.srv.Serve(ln)
	return h, nil
}

// ServeHTTP answers one hook invocation.
func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	var ev struct {
		ExecutionID    string `json:"executionId"`
		LifecycleStage string `json:"lifecycleStage"`
		ResourceArn    string `json:"resourceArn"`
	}
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	if err != nil || ev.ResourceArn == "" {
		h.mu.Lock()
		h.bad++
		h.mu.Unlock()
		http.Error(w, "bad hook event", http.StatusBadRequest)
		return
	}
	key := ev.ResourceArn + "|" + ev.LifecycleStage + "|" + ev.ExecutionID
	h.mu.Lock()
	run := h.runs[key]
	if run == nil {
		run = &hookRun{}
		h.runs[key] = run
	}
	if run.calls > 0 {
		h.late = append(h.late, arrived.Sub(run.lastReply.Add(h.delay)))
	}
	run.calls++
	reply := `{"hookStatus":"SUCCEEDED"}`
	if run.calls <= h.inProgress {
		reply = fmt.Sprintf(`{"hookStatus":"IN_PROGRESS","callBackDelay":%g}`, h.delay.Seconds())
	}
	run.lastReply = time.Now()
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, reply)
}

// results returns the lateness of every callback so far, how many runs
// the hook saw and how many requests it could not read.
func (h *hookServer) results() (late []time.Duration, runs, bad int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.late...), len(h.runs), h.bad
}

func (h *hookServer) close() { h.srv.Close() }
