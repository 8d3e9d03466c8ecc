package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/postgres"
	"github.com/cutover/cutover/internal/store/postgres/pgtest"
)

// put writes one key, reporting Update's error.
func put(s *postgres.Store, key string) error {
	return s.Update(context.Background(), func(tx store.Tx) error { return tx.Put("t", key, []byte(key)) })
}

// campaign campaigns for holder at "http://"+holder, failing tb on error.
func campaign(tb testing.TB, s *postgres.Store, holder string, ttl time.Duration) postgres.Lease {
	tb.Helper()
	l, err := s.Campaign(context.Background(), holder, "http://"+holder, ttl)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// One server leads and writes; the other sees who leads and where, and
// its writes are refused. Renewing keeps the term.
func TestLeaseElectsOneWriter(t *testing.T) {
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	la := campaign(t, a, "a", time.Minute)
	if !la.Held || la.Holder != "a" || la.Term != 1 {
		t.Fatalf("a's first campaign: %+v, want held, term 1", la)
	}
	lb := campaign(t, b, "b", time.Minute)
	if lb.Held || lb.Holder != "a" || lb.Address != "http://a" || !lb.Live {
		t.Fatalf("b's campaign: %+v, want a's live lease", lb)
	}
	if err := put(a, "k1"); err != nil {
		t.Fatalf("leader's write: %v", err)
	}
	if err := put(b, "k2"); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("follower's write: %v, want ErrNotLeader", err)
	}
	if la2 := campaign(t, a, "a", time.Minute); !la2.Held || la2.Term != la.Term {
		t.Fatalf("a's renewal: %+v, want held in term %d", la2, la.Term)
	}
	// A store that never campaigned writes unfenced, as a lone server's.
	if err := put(open(t, u), "k3"); err != nil {
		t.Fatalf("unfenced write: %v", err)
	}
}

// A leader whose lease expires cannot write, even before another server
// takes over; once one has, in a new term, the old one stays out.
func TestLeaseExpiryFencesOldLeader(t *testing.T) {
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	la := campaign(t, a, "a", 200*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // a is "paused" past its lease
	if err := put(a, "k"); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("expired leader's write: %v, want ErrNotLeader", err)
	}
	lb := campaign(t, b, "b", time.Minute)
	if !lb.Held || lb.Term != la.Term+1 {
		t.Fatalf("b's takeover: %+v, want held in term %d", lb, la.Term+1)
	}
	if la2 := campaign(t, a, "a", time.Minute); la2.Held || la2.Holder != "b" {
		t.Fatalf("a's campaign after the takeover: %+v, want b's lease", la2)
	}
	if err := put(a, "k"); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("old leader's write: %v, want ErrNotLeader", err)
	}
	if err := put(b, "k"); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
}

// A takeover waits for the write the old leader has in flight, which
// commits; the new leader's reads see it.
func TestLeaseTakeoverWaitsForWriteInFlight(t *testing.T) {
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	campaign(t, a, "a", 300*time.Millisecond)
	inTx, took := make(chan struct{}), make(chan postgres.Lease, 1)
	go func() {
		<-inTx
		time.Sleep(400 * time.Millisecond) // a's lease expires meanwhile
		took <- campaign(t, b, "b", time.Minute)
	}()
	err := a.Update(context.Background(), func(tx store.Tx) error {
		close(inTx)
		time.Sleep(time.Second)
		select {
		case l := <-took:
			t.Errorf("b took the lease during a's write: %+v", l)
		default:
		}
		return tx.Put("t", "k", []byte("a"))
	})
	if err != nil {
		t.Fatalf("a's write, begun while it led: %v", err)
	}
	if l := <-took; !l.Held {
		t.Fatalf("b's takeover: %+v", l)
	}
	err = b.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.Get("t", "k")
		return err
	})
	if err != nil {
		t.Fatalf("new leader reads the old one's last write: %v", err)
	}
}

// Resigning hands the lease over at once, and ends the resigner's writes.
func TestLeaseResign(t *testing.T) {
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	campaign(t, a, "a", time.Hour)
	if err := a.Resign(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if err := put(a, "k"); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("write after resigning: %v, want ErrNotLeader", err)
	}
	if l := campaign(t, b, "b", time.Minute); !l.Held || l.Term != 2 {
		t.Fatalf("b's campaign after a resigned: %+v, want held in term 2", l)
	}
}

// The first value proposed is the one every server gets, by name.
func TestSharedValues(t *testing.T) {
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	for _, c := range []struct {
		s                    *postgres.Store
		name, proposed, want string
	}{{a, "id", "first", "first"}, {b, "id", "second", "first"}, {b, "secret", "b's", "b's"}, {a, "secret", "a's", "b's"}, {a, "id", "third", "first"}} {
		v, err := c.s.Shared(context.Background(), c.name, c.proposed)
		if err != nil || v != c.want {
			t.Fatalf("Shared(%q, %q) = %q, %v; want %q", c.name, c.proposed, v, err, c.want)
		}
	}
}

// A holder that restarted takes its lease back at once, in a new term
// that fences its former self.
func TestLeaseTakenBackAfterRestart(t *testing.T) {
	u := pgtest.NewDatabase(t)
	before, after := open(t, u), open(t, u)
	l1 := campaign(t, before, "a", time.Minute)
	l2 := campaign(t, after, "a", time.Minute)
	if !l2.Held || l2.Term != l1.Term+1 {
		t.Fatalf("the restarted holder's campaign: %+v, want held in term %d", l2, l1.Term+1)
	}
	if err := put(before, "k"); !errors.Is(err, store.ErrNotLeader) {
		t.Fatalf("the former self's write: %v, want ErrNotLeader", err)
	}
	if err := put(after, "k"); err != nil {
		t.Fatalf("the restarted holder's write: %v", err)
	}
}
