package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
)

// fuzzReply is the answer a fuzzed hook gives: status, and body written
// repeat+1 times (so that a fuzzed input can be a reply over the limit).
type fuzzReply struct {
	mu            sync.Mutex
	status        int
	body          []byte
	repeat        int
	functionError string
}

func (f *fuzzReply) set(status int, body []byte, repeat int, functionError string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body, f.repeat, f.functionError = status, body, repeat, functionError
}

func (f *fuzzReply) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	status, body, repeat, fe := f.status, f.body, f.repeat, f.functionError
	f.mu.Unlock()
	if fe != "" {
		w.Header().Set("X-Amz-Function-Error", fe)
	}
	w.WriteHeader(status)
	for range repeat + 1 {
		if _, err := w.Write(body); err != nil {
			return
		}
	}
}

// replySize returns the size of a reply of body written repeat+1 times.
func replySize(body []byte, repeat int) int { return len(body) * (repeat + 1) }

// checkReply checks that a reply Invoke accepted parses into a valid
// reply, or is refused by deploy.ParseReply.
func checkReply(t *testing.T, reply []byte) {
	r, err := deploy.ParseReply(reply)
	if err != nil {
		return
	}
	switch r.Status {
	case ecs.DeploymentLifecycleHookStatusSucceeded, ecs.DeploymentLifecycleHookStatusFailed, ecs.DeploymentLifecycleHookStatusInProgress:
	default:
		t.Fatalf("ParseReply(%q) accepted status %q", reply, r.Status)
	}
	if r.CallBackDelay < deploy.MinCallBackDelay || r.CallBackDelay > deploy.MaxHookTimeoutMinutes*time.Minute {
		t.Fatalf("ParseReply(%q) accepted callBackDelay %s", reply, r.CallBackDelay)
	}
	if r.HookDetails != "" && (!json.Valid([]byte(r.HookDetails)) || r.HookDetails == "null") {
		t.Fatalf("ParseReply(%q) accepted hookDetails %q", reply, r.HookDetails)
	}
}

// FuzzURLHook invokes a URL hook whose server answers a fuzzed status and
// body: a 2xx reply within MaxReplyBytes comes back whole, a larger one
// fails with ErrReplyTooLarge, any other status fails with a short error
// naming it, and nothing panics or hangs.
func FuzzURLHook(f *testing.F) {
	f.Add(uint16(200), []byte(`{"hookStatus":"SUCCEEDED"}`), uint32(0))
	f.Add(uint16(200), []byte(`{"hookStatus":"IN_PROGRESS","callBackDelay":5,"hookDetails":{"n":1}}`), uint32(0))
	f.Add(uint16(201), []byte(`{"hookStatus":"FAILED"}`), uint32(0))
	f.Add(uint16(204), []byte(``), uint32(0))
	f.Add(uint16(500), []byte("oops\n\t more"), uint32(3))
	f.Add(uint16(200), []byte("0123456789abcdef"), uint32(MaxReplyBytes/16)) // one byte too many
	f.Add(uint16(404), []byte("\xff\xfe not utf-8"), uint32(10))
	reply := &fuzzReply{}
	srv := httptest.NewServer(reply)
	defer srv.Close()
	inv, err := New(Config{Timeout: 10 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, code uint16, body []byte, repeat uint32) {
		status := 200 + int(code)%400 // a final status, 200 to 599
		if len(body) == 0 {
			repeat = 0
		}
		n := int(min(uint64(repeat), uint64(2*MaxReplyBytes/max(len(body), 1))))
		reply.set(status, body, n, "")
		got, err := inv.Invoke(context.Background(), srv.URL+"/hook", testEvent)
		size := replySize(body, n)
		switch {
		case status == http.StatusNoContent:
			if err != nil || len(got) != 0 {
				t.Fatalf("204: reply %q, error %v", got, err)
			}
		case status < 300 && size <= MaxReplyBytes:
			if err != nil || len(got) != size || !bytes.Equal(got[:len(body)], body) {
				t.Fatalf("status %d, %d bytes: reply of %d bytes, error %v", status, size, len(got), err)
			}
			checkReply(t, got)
		case status < 300:
			if !errors.Is(err, ErrReplyTooLarge) || got != nil {
				t.Fatalf("status %d, %d bytes: reply of %d bytes, error %v; want ErrReplyTooLarge", status, size, len(got), err)
			}
		default:
			prefix := "invoking " + srv.URL + "/hook: HTTP " + strconv.Itoa(status)
			if err == nil || got != nil || !strings.HasPrefix(err.Error(), prefix) || len(err.Error()) > len(prefix)+40+256+len("…") {
				t.Fatalf("status %d: reply of %d bytes, error %v", status, len(got), err)
			}
		}
	})
}

// maxLambdaError bounds the message of a function error: the prefix,
// the function error header (64 bytes) and the payload's errorType (128)
// and errorMessage (512), each cut with "…".
const maxLambdaError = 1024

// FuzzLambdaHook invokes a Lambda function at a Lambda Invoke API that
// answers a fuzzed payload, and sometimes a function error: the payload
// comes back whole, or fails with ErrFunctionError and a short message.
func FuzzLambdaHook(f *testing.F) {
	f.Add([]byte(`{"hookStatus":"SUCCEEDED"}`), "", uint16(0))
	f.Add([]byte(`{"errorMessage":"boom","errorType":"Error"}`), "Unhandled", uint16(0))
	f.Add([]byte(`{"errorMessage":"`+strings.Repeat("x", 600)+`"}`), "Handled", uint16(0))
	f.Add([]byte(`{"errorType":"`+strings.Repeat("T", 2000)+`","errorMessage":"m"}`), "Unhandled", uint16(0))
	f.Add([]byte(`null`), "", uint16(3))
	f.Add(bytes.Repeat([]byte(" "), 96), "", uint16(MaxReplyBytes/96-1)) // exactly MaxReplyBytes
	f.Add(bytes.Repeat([]byte("x"), 100), "", uint16(MaxReplyBytes/100)) // just over
	noAWSEnv(f)
	reply := &fuzzReply{}
	srv := httptest.NewServer(reply)
	defer srv.Close()
	inv, err := New(Config{Timeout: 10 * time.Second, LambdaEndpoint: srv.URL, Region: "us-east-1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte, functionError string, repeat uint16) {
		if !validHeaderValue(functionError) {
			t.Skip("not a header value")
		}
		if len(payload) == 0 {
			repeat = 0
		}
		reply.set(http.StatusOK, payload, int(repeat), functionError)
		got, err := inv.Invoke(context.Background(), "my-hook", testEvent)
		size := replySize(payload, int(repeat))
		switch {
		case size > MaxReplyBytes:
			if !errors.Is(err, ErrReplyTooLarge) || got != nil {
				t.Fatalf("%d bytes: reply of %d bytes, error %v; want ErrReplyTooLarge", size, len(got), err)
			}
		case functionError != "":
			if !errors.Is(err, ErrFunctionError) || got != nil || len(err.Error()) > maxLambdaError {
				t.Fatalf("function error %q: reply %q, error %v", functionError, got, err)
			}
		default:
			if err != nil || len(got) != size || !bytes.Equal(got[:len(payload)], payload) {
				t.Fatalf("%d bytes: reply of %d bytes, error %v", size, len(got), err)
			}
			checkReply(t, got)
		}
	})
}

// validHeaderValue reports whether s can be sent as a header value
// unchanged: printable ASCII without leading or trailing space.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return strings.TrimSpace(s) == s && len(s) < math.MaxInt16
}
