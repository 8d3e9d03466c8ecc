package lb

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// slowBackend answers "name" to /slow only once release is closed and
// reports in entered when such a request arrives.
func slowBackend(t *testing.T, name string) (be *backend, entered chan struct{}, release chan struct{}) {
	entered, release = make(chan struct{}, 16), make(chan struct{})
	be = newBackend(t, name, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, name)
	})
	return be, entered, release
}

type result struct {
	code int
	body string
	err  error
}

// getAsync does a GET in the background.
func getAsync(c *http.Client, url string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		res, err := c.Get(url)
		if err != nil {
			ch <- result{err: err}
			return
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		ch <- result{code: res.StatusCode, body: string(body), err: err}
	}()
	return ch
}

func TestDrainingTarget(t *testing.T) {
	old, entered, release := slowBackend(t, "old")
	repl := newBackend(t, "new", nil)
	b := newTestBalancer(t, Options{})
	g := group("g", old.target())
	g.DeregistrationDelay = 500 * time.Millisecond
	mustApply(t, b, oneListener(1, forwardTo("g"), g))
	c, base := newClient(t), listenerURL(t, b, "l1")

	inflight := getAsync(c, base+"/slow")
	<-entered

	g.Targets = []Target{repl.target()}
	mustApply(t, b, oneListener(2, forwardTo("g"), g))
	removedAt := time.Now()
	th, ok := healthOf(b, "g", old.target())
	if !ok || th.State != StateDraining || th.Reason != ReasonDeregistrationInProgress {
		t.Fatalf("removed target health = %+v (reported %v), want draining", th, ok)
	}
	for range 20 {
		if code, body, _ := get(t, c, base+"/"); code != 200 || body != "new" {
			t.Fatalf("after the removal got %d %q, want 200 from the new target", code, body)
		}
	}
	if hits := old.hits.Load(); hits != 1 {
		t.Errorf("the draining target got %d requests, want only the one in flight", hits)
	}
	if st := statsOf(b, "g", old.target()); st.InFlight != 1 {
		t.Errorf("draining target in flight = %d, want 1", st.InFlight)
	}
	close(release)
	r := <-inflight
	if r.err != nil || r.code != 200 || r.body != "old" {
		t.Fatalf("the in-flight request to the draining target ended with %d %q %v", r.code, r.body, r.err)
	}
	eventually(t, "the draining target to be dropped", func() bool {
		_, ok := healthOf(b, "g", old.target())
		return !ok
	})
	if d := time.Since(removedAt); d < 450*time.Millisecond {
		t.Errorf("the target was dropped after %v, before its deregistration delay", d)
	}
}

func TestReRegisterWhileDraining(t *testing.T) {
	a := newBackend(t, "a", nil)
	b := newTestBalancer(t, Options{})
	g := group("g", a.target())
	g.DeregistrationDelay = 200 * time.Millisecond
	mustApply(t, b, oneListener(1, forwardTo("g"), g))
	c, base := newClient(t), listenerURL(t, b, "l1")
	get(t, c, base+"/")

	empty := g
	empty.Targets = nil
	mustApply(t, b, oneListener(2, forwardTo("g"), empty))
	mustApply(t, b, oneListener(3, forwardTo("g"), g))
	time.Sleep(400 * time.Millisecond) // past the delay of the cancelled drain
	th, ok := healthOf(b, "g", a.target())
	if !ok || th.State != StateHealthy {
		t.Fatalf("re-registered target = %+v (reported %v), want healthy", th, ok)
	}
	if st := statsOf(b, "g", a.target()); st.Requests != 1 {
		t.Errorf("re-registered target lost its counters: %+v", st)
	}
	if code, body, _ := get(t, c, base+"/"); code != 200 || body != "a" {
		t.Errorf("got %d %q", code, body)
	}
}

func TestRemovedListenerDrains(t *testing.T) {
	slow, entered, release := slowBackend(t, "slow")
	b := newTestBalancer(t, Options{})
	free := refusedTarget(t) // a free port, for an address that can be re-added
	addr2 := net.JoinHostPort(free.Host, strconv.Itoa(free.Port))
	with := oneListener(1, forwardTo("g"), group("g", slow.target()))
	with.Listeners = append(with.Listeners, Listener{ARN: "l2", Address: addr2, Protocol: "HTTP",
		DefaultActions: []Action{forwardTo("g")}})
	mustApply(t, b, with)
	c := newClient(t)
	inflight := getAsync(c, "http://"+addr2+"/slow")
	<-entered

	without := with
	without.Version = 2
	without.Listeners = with.Listeners[:1]
	mustApply(t, b, without)
	if conn, err := net.DialTimeout("tcp", addr2, time.Second); err == nil {
		conn.Close()
		t.Error("the removed listener still accepts connections")
	}
	if code, _, _ := get(t, c, listenerURL(t, b, "l1")+"/"); code != 200 {
		t.Errorf("the remaining listener answered %d", code)
	}

	// The address can be bound again while the old listener drains.
	with.Version = 3
	mustApply(t, b, with)
	if code, body, _ := get(t, newClient(t), "http://"+addr2+"/"); code != 200 || body != "slow" {
		t.Errorf("the re-added listener answered %d %q", code, body)
	}

	close(release)
	if r := <-inflight; r.err != nil || r.code != 200 || r.body != "slow" {
		t.Fatalf("the in-flight request on the removed listener ended with %d %q %v", r.code, r.body, r.err)
	}
}
