package events

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/state"
)

// ServeHTTP streams events as Server-Sent Events:
//
//	id: <sequence number>
//	event: <detail type>
//	data: <EventBridge envelope, one line of JSON>
//
// The stream starts after the event named by the Last-Event-ID header or,
// failing that, the after query parameter (after=0 replays every event
// retained); with neither it starts with the events that follow the
// request. Query parameters detailType (repeatable) and resource filter
// the stream: resource keeps the events whose resources include that
// ARN, whose detail's serviceArn is that ARN, and, for a service ARN, the
// state changes of the service's tasks. With follow=false the stream
// ends once the events retained so far are sent, instead of going on
// with new ones. A comment line is sent every 15 seconds to keep idle
// connections open. The stream ends when the client goes away or Run's
// context is done.
func (e *Events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, invalidParameter, "The event stream takes GET requests.")
		return
	}
	q := r.URL.Query()
	cursor, fromStart, err := resumePoint(r.Header.Get("Last-Event-ID"), q)
	if err != nil {
		writeError(w, http.StatusBadRequest, invalidParameter, err.Error())
		return
	}
	f := newFilter(q["detailType"], q.Get("resource"))
	follow := true
	if v := q.Get("follow"); v != "" {
		if follow, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, invalidParameter, "follow must be true or false.")
			return
		}
	}
	if !fromStart {
		// Where "now" is: the newest event in the log, not the newest
		// seen by the last poll.
		if cursor, err = e.poll(r.Context()); err != nil {
			e.log.Error("start event stream", "err", err)
			writeError(w, http.StatusInternalServerError, "ServerException", "The event log could not be read.")
			return
		}
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout; not every writer supports this
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tells nginx-like proxies not to buffer the stream
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}

	log := e.log.With("remote", r.RemoteAddr)
	keepalive := time.NewTicker(e.keepalive)
	defer keepalive.Stop()
	for {
		_, changed := e.current()
		batch, err := e.read(r.Context(), cursor, batchSize)
		if err != nil {
			if r.Context().Err() == nil {
				log.Error("read events for a stream", "err", err)
			}
			return
		}
		wrote := false
		for i := range batch {
			rec := &batch[i]
			cursor = rec.seq
			if !f.match(rec) {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", rec.seq, rec.DetailType, rec.env); err != nil {
				return
			}
			wrote = true
		}
		if wrote && rc.Flush() != nil {
			return
		}
		if len(batch) == batchSize {
			continue
		}
		if !follow {
			return
		}
		select {
		case <-changed:
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-e.stopped:
			return
		}
	}
}

// resumePoint returns the sequence number a stream starts after, from the
// Last-Event-ID header or the after parameter; fromStart is false when
// neither is given.
func resumePoint(lastEventID string, q map[string][]string) (seq uint64, fromStart bool, err error) {
	name, text := "Last-Event-ID", lastEventID
	if text == "" {
		vs, ok := q["after"]
		if !ok {
			return 0, false, nil
		}
		name, text = "after", ""
		if len(vs) > 0 {
			text = vs[0]
		}
	}
	seq, err = strconv.ParseUint(strings.TrimSpace(text), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s %q is not an event ID (a non-negative integer)", name, text)
	}
	return seq, true, nil
}

// filter selects the events of a stream.
type filter struct {
	detailTypes []string
	resource    string
	// serviceCluster and serviceGroup identify the tasks of the service
	// the resource names, if it names one.
	serviceCluster, serviceGroup string
}

func newFilter(detailTypes []string, resource string) filter {
	f := filter{detailTypes: detailTypes, resource: resource}
	if a, err := state.ParseARN(resource); err == nil && a.Type == "service" && len(a.Parts) == 2 {
		f.serviceCluster = state.ARNs{Region: a.Region, Account: a.Account}.Cluster(a.Parts[0])
		f.serviceGroup = "service:" + a.Parts[1]
	}
	return f
}

func (f *filter) match(r *record) bool {
	if len(f.detailTypes) > 0 && !slices.Contains(f.detailTypes, r.DetailType) {
		return false
	}
	if f.resource == "" {
		return true
	}
	if slices.Contains(r.Resources, f.resource) || r.detail.ServiceArn == f.resource {
		return true
	}
	return f.serviceGroup != "" && r.DetailType == state.DetailTaskStateChange &&
		r.detail.Group == f.serviceGroup && r.detail.ClusterArn == f.serviceCluster
}

const invalidParameter = "InvalidParameterException"

// writeError writes an error the way the ECS API does.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
